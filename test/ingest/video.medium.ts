import { resolve } from 'node:path';
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
});
