import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaError,
  UpstreamUnavailableError,
} from '@tessera/common';
import { FfmpegMediaRepository } from '@tessera/ingest/video';

const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);

/** Each bad file is generated here, so the repository stores no broken media. */
describe('FfmpegMediaRepository on bad input', () => {
  const media = new FfmpegMediaRepository({ timeoutMs: 60_000 });
  let dir: string;
  const f = (name: string) => join(dir, name);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-badmedia-'));
    writeFileSync(f('empty.mp4'), Buffer.alloc(0));
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '3', '-c:v', 'mpeg4', f('ok.mp4'));
    const ok = readFileSync(f('ok.mp4'));
    // The moov index is written last, so the first half has none.
    writeFileSync(f('truncated.mp4'), ok.subarray(0, Math.floor(ok.length / 2)));
    writeFileSync(f('notes.mp4'), 'These are meeting notes, not a video.\n'.repeat(50));
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', f('audio-only.mp4'));
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '2', '-c:v', 'mpeg4', f('ok.mkv'));
    // Same bytes with the Matroska codec id renamed: a codec no ffmpeg build knows.
    const mkv = readFileSync(f('ok.mkv'));
    const at = mkv.indexOf('V_MPEG4/ISO/ASP');
    mkv.write('V_QQQQQ/ISO/ASP', at, 'ascii');
    writeFileSync(f('unknown-codec.mkv'), mkv);
  });

  it('reads the good generated clip (control)', async () => {
    const p = await media.probe(f('ok.mp4'));
    expect(p.durationS).toBeCloseTo(3, 1);
    expect(p.videoStreams[0]).toMatchObject({ codec: 'mpeg4', width: 160, height: 120, fps: 10 });
    const s = await media.sampleFrames(f('ok.mp4'), { fps: 2, width: 32, height: 24 });
    expect(s.frames).toHaveLength(6);
  });

  it('zero-byte file: InvalidInputError', async () => {
    await expect(media.probe(f('empty.mp4'))).rejects.toThrow(InvalidInputError);
    await expect(media.probe(f('empty.mp4'))).rejects.toThrow(/is empty \(0 bytes\)/);
  });

  it('truncated MP4: InvalidInputError saying damaged or truncated, with the stderr tail', async () => {
    expect(statSync(f('truncated.mp4')).size).toBeGreaterThan(1000);
    const err = await media.probe(f('truncated.mp4')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).message).toMatch(/damaged or truncated .*moov atom not found/);
    expect((err as InvalidInputError).details).toMatchObject({ tool: 'ffprobe', exitCode: 1 });
  });

  it('text renamed .mp4: UnsupportedMediaError', async () => {
    await expect(media.probe(f('notes.mp4'))).rejects.toThrow(UnsupportedMediaError);
    await expect(media.sampleFrames(f('notes.mp4'))).rejects.toThrow(/not a recognised media container/);
  });

  it('audio-only file: probes, but sampling frames is UnsupportedMediaError', async () => {
    const p = await media.probe(f('audio-only.mp4'));
    expect(p.videoStreams).toHaveLength(0);
    expect(p.audioStreams[0]).toMatchObject({ codec: 'aac', sampleRate: 44100 });
    expect(await media.hasAudio(f('audio-only.mp4'))).toBe(true);
    await expect(media.sampleFrames(f('audio-only.mp4'))).rejects.toThrow(UnsupportedMediaError);
    await expect(media.keyframes(f('audio-only.mp4'))).rejects.toThrow(/has no video stream \(audio only\)/);
  });

  it('audio-only file: its audio decodes to 16 kHz mono float PCM with the right pitch and level', async () => {
    const a = await media.extractAudio(f('audio-only.mp4'));
    expect(a).toMatchObject({ sampleRate: 16000, channels: 1 });
    expect(Math.abs(a.samples.length - 16000)).toBeLessThan(1100); // AAC priming/padding
    const mid = a.samples.subarray(2000, 14000);
    let crossings = 0;
    for (let i = 1; i < mid.length; i++) if (mid[i - 1] < 0 !== mid[i] < 0) crossings++;
    expect(crossings / (mid.length / 16000)).toBeCloseTo(880, -1); // 440 Hz: two crossings a cycle
    const rms = Math.sqrt(mid.reduce((s, x) => s + x * x, 0) / mid.length);
    expect(rms).toBeCloseTo(0.125 / Math.SQRT2, 2); // lavfi sine amplitude 1/8
  });

  it('a video with no audio: extractAudio is UnsupportedMediaError', async () => {
    await expect(media.extractAudio(f('ok.mp4'))).rejects.toThrow(/has no audio stream/);
  });

  it('unknown codec: UnsupportedMediaError', async () => {
    const p = await media.probe(f('unknown-codec.mkv'));
    expect(p.videoStreams[0].codec).toBe('unknown');
    await expect(media.sampleFrames(f('unknown-codec.mkv'))).rejects.toThrow(UnsupportedMediaError);
  });

  it('an HLS playlist named .mp4 that points at another file: UnsupportedMediaError, the listed file is never read', async () => {
    const target = resolve(__dirname, '../fixtures/video/popeye/popeye-p2.mkv');
    writeFileSync(
      f('playlist.mp4'),
      `#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile://${target}\n#EXT-X-ENDLIST\n`,
    );
    const err = await media.probe(f('playlist.mp4')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedMediaError);
    expect((err as Error).message).toMatch(/container format "hls" is not accepted/);
  });

  it('a file named like an ffmpeg protocol or option is read as a plain path', async () => {
    writeFileSync(f('concat:x'), readFileSync(f('ok.mp4')));
    writeFileSync(f('-y'), readFileSync(f('ok.mp4')));
    expect((await media.probe(f('concat:x'))).videoStreams).toHaveLength(1);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect((await media.sampleFrames('-y', { fps: 1, width: 8, height: 8 })).frames.length).toBeGreaterThan(0);
    } finally {
      process.chdir(cwd);
    }
  });

  it('missing file: NotFoundError', async () => {
    await expect(media.probe(f('nope.mp4'))).rejects.toThrow(NotFoundError);
  });

  it('a stuck process is killed at the timeout: UpstreamUnavailableError', async () => {
    const slow = new FfmpegMediaRepository({ timeoutMs: 1 });
    const err = await slow.probe(f('ok.mp4')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toMatch(/timed out after 1 ms/);
  });

  it('media over the duration limit: PayloadTooLargeError', async () => {
    const strict = new FfmpegMediaRepository({ maxDurationS: 1 });
    await expect(strict.probe(f('ok.mp4'))).rejects.toThrow(PayloadTooLargeError);
  });

  it('a missing ffmpeg binary: UpstreamUnavailableError naming it', async () => {
    const broken = new FfmpegMediaRepository({ ffprobePath: resolve(dir, 'no-ffprobe') });
    await expect(broken.probe(f('ok.mp4'))).rejects.toThrow(/no-ffprobe not found/);
  });

  it('a batch goes on past bad items', async () => {
    const names = ['ok.mp4', 'truncated.mp4', 'notes.mp4', 'ok.mkv'];
    const r = await Promise.allSettled(names.map((n) => media.probe(f(n))));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  });
});
