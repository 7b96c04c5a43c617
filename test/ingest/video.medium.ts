import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FfmpegMediaRepository } from '@tessera/ingest/video';

const FIX = resolve(__dirname, '../fixtures/video');
const popeye = resolve(FIX, 'popeye/popeye-p2.mkv');
const webm = resolve(FIX, 'mediaelement/echo-hereweare.webm');

describe('FfmpegMediaRepository on the staged clips', () => {
  const media = new FfmpegMediaRepository({ timeoutMs: 60_000 });

  it('probes an HEVC mkv with a bitmap subtitle track and no audio', async () => {
    const p = await media.probe(popeye);
    expect(p.container).toContain('matroska');
    expect(p.durationS).toBeCloseTo(64.05, 1);
    expect(p.videoStreams).toHaveLength(1);
    expect(p.videoStreams[0]).toMatchObject({ codec: 'hevc', width: 720, height: 478, rotation: 0 });
    expect(p.videoStreams[0].fps).toBeCloseTo(29.97, 2);
    // SAR 8:9 makes the display 640 wide.
    expect(p.videoStreams[0].displayWidth).toBe(640);
    // The picture ends at 60.06 s; the bitmap subtitle track runs on to 64.05 s.
    expect(p.videoStreams[0].durationS).toBeCloseTo(60.06, 2);
    expect(p.audioStreams).toHaveLength(0);
    expect(p.subtitleStreams).toEqual([expect.objectContaining({ codec: 'dvd_subtitle', textBased: false })]);
    expect(await media.hasAudio(popeye)).toBe(false);
  });

  it('probes a VP8 + Vorbis webm', async () => {
    const p = await media.probe(webm);
    expect(p.durationS).toBeCloseTo(44.65, 1);
    expect(p.videoStreams[0]).toMatchObject({ codec: 'vp8', width: 480, height: 270, fps: 30 });
    expect(p.audioStreams[0]).toMatchObject({ codec: 'vorbis' });
    expect(await media.hasAudio(webm)).toBe(true);
  });

  it('samples RGB frames at the requested rate and size', async () => {
    const s = await media.sampleFrames(webm, { fps: 1, width: 64, height: 64, maxFrames: 5 });
    expect(s).toMatchObject({ width: 64, height: 64, channels: 3 });
    expect(s.frames).toHaveLength(5);
    expect(s.timestampsS).toEqual([0, 1, 2, 3, 4]);
    for (const f of s.frames) expect(f.length).toBe(64 * 64 * 3);
    // Real pictures, not a blank buffer: pixel values vary.
    const f = s.frames[3];
    expect(Math.max(...f) - Math.min(...f)).toBeGreaterThan(50);
  });

  it('keeps the display aspect when only a width is given, and honours a time window', async () => {
    const s = await media.sampleFrames(popeye, { fps: 2, width: 160, startS: 10, endS: 12, maxFrames: 100 });
    expect(s.width).toBe(160);
    expect(s.height).toBe(Math.round((160 * 478) / 640));
    expect(s.frames.length).toBeGreaterThanOrEqual(3);
    expect(s.frames.length).toBeLessThanOrEqual(5);
    expect(s.timestampsS[0]).toBe(10);
  });

  it('picks scene-change keyframes as JPEGs, topped up with evenly spaced ones', async () => {
    const k = await media.keyframes(popeye, { count: 6, width: 160 });
    expect(k).toHaveLength(6);
    for (const f of k) {
      expect(f.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(f.jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
      expect(f.timeS).toBeGreaterThanOrEqual(0);
      expect(f.timeS).toBeLessThan(64.1);
    }
    expect(k.map((f) => f.timeS)).toEqual([...k.map((f) => f.timeS)].sort((a, b) => a - b));
    expect(k.some((f) => f.source === 'scene')).toBe(true);
    // A generated clip with no cuts at all falls back to even spacing entirely.
    const still = await media.keyframes(webm, { count: 3, width: 96, sceneThreshold: 1.01 });
    expect(still.map((f) => f.source)).toEqual(['even', 'even', 'even']);
    expect(still.map((f) => f.timeS)).toEqual([7.442, 22.326, 37.21]);
  });

  it('segments into fixed windows, merging a short tail', async () => {
    const plan = await media.segment(webm, { mode: 'fixed', lengthS: 10, minLastS: 5 });
    expect(plan.clips.map((c) => [c.startS, c.endS])).toEqual([
      [0, 10],
      [10, 20],
      [20, 30],
      [30, 44.652],
    ]);
  });

  it('applies a display-matrix rotation: a 160x120 clip tagged 90 degrees comes out 120x160', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-rot-'));
    const plain = join(dir, 'plain.mp4');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=10',
      '-t',
      '1',
      '-c:v',
      'mpeg4',
      plain,
    ]);
    // ffmpeg 5.1 cannot write rotation metadata, so set the tkhd matrix to a 90 degree turn by hand.
    const mp4 = readFileSync(plain);
    const matrix = mp4.indexOf('tkhd') - 4 + 48;
    [0, 0x10000, 0, 0xffff0000, 0].forEach((v, i) => mp4.writeUInt32BE(v, matrix + 4 * i));
    const rotated = join(dir, 'rotated.mp4');
    writeFileSync(rotated, mp4);
    const p = await media.probe(rotated);
    expect(p.videoStreams[0]).toMatchObject({
      width: 160,
      height: 120,
      rotation: 90,
      displayWidth: 120,
      displayHeight: 160,
    });
    const s = await media.sampleFrames(rotated, { fps: 5, maxFrames: 2 });
    expect([s.width, s.height, s.frames[0].length]).toEqual([120, 160, 120 * 160 * 3]);
  });

  it('finds the cuts of a generated red/blue/green clip exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-cuts-'));
    const cuts = join(dir, 'cuts.mp4');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-filter_complex',
      'color=red:s=160x120:d=1:r=10[a];color=blue:s=160x120:d=1:r=10[b];color=green:s=160x120:d=1:r=10[c];[a][b][c]concat=n=3:v=1:a=0',
      '-c:v',
      'mpeg4',
      '-q:v',
      '2',
      cuts,
    ]);
    const k = await media.keyframes(cuts, { count: 2, width: 80 });
    expect(k.map((f) => [f.timeS, f.source])).toEqual([
      [1, 'scene'],
      [2, 'scene'],
    ]);
    const k4 = await media.keyframes(cuts, { count: 4, width: 80 });
    expect(k4.map((f) => f.source)).toEqual(['even', 'scene', 'scene', 'even']);
    // The JPEG grabbed at the first cut is blue, at the second green, both 80 wide.
    const decode = (jpeg: Buffer) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const first = await decode(k[0].jpeg);
    expect(first.info.width).toBe(80);
    expect([first.data[0] < 60, first.data[1] < 60, first.data[2] > 200]).toEqual([true, true, true]);
    const second = await decode(k[1].jpeg);
    expect([second.data[0] < 60, second.data[1] > 90, second.data[2] < 60]).toEqual([true, true, true]);
  });

  it('samples many clips in one decode pass, grouping frames by clip', async () => {
    const r = await media.sampleClips(
      webm,
      [
        { startS: 0, endS: 3 },
        { startS: 3, endS: 5 },
        { startS: 10, endS: 10.4 },
      ],
      { fps: 1, width: 32, height: 32 },
    );
    expect(r.clips.map((c) => c.timestampsS)).toEqual([[0, 1, 2], [3, 4], [10]]);
    expect(r.clips[0].frames[0].length).toBe(32 * 32 * 3);
    const thin = await media.sampleClips(webm, [{ startS: 0, endS: 10 }], {
      fps: 1,
      width: 16,
      height: 16,
      maxFramesPerClip: 2,
    });
    expect(thin.clips[0].timestampsS).toEqual([2, 7]);
  });
});
