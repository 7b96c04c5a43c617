import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { SharpImageRepository } from '@tessera/ingest/image';
import { FfmpegMediaRepository } from '@tessera/ingest/video';

/*
 * Ingest benchmark: frame sampling and per-clip sampling through FfmpegMediaRepository, and the
 * sharp image pipeline, each against a baseline timed in the same run: ffmpeg decoding the same
 * file to nothing (`ffmpeg -i f -f null -`), and a bare sharp decode of the same images.
 * Clips are sampled two ways: one sampleFrames call per clip (a seek each) and sampleClips
 * (one decode pass for all clips of a video).
 * Prints one JSON object; never asserts.
 */

export interface IngestBenchOptions {
  /** Video files; default the staged fixtures in test/fixtures/video. */
  videos?: string[];
  /** Timed repetitions per measurement (median and p90 reported). */
  repeats?: number;
  warmup?: number;
  /** Sampling rate and square size for sampleFrames. */
  fps?: number;
  size?: number;
  /** Fixed clip length for the per-clip measurement. */
  clipLengthS?: number;
  /** Images in the sharp measurement (decoded from real video frames). */
  images?: number;
  log?: (line: string) => void;
}

interface Stats {
  medianMs: number;
  p90Ms: number;
  n: number;
}

/** test/fixtures/video from the source tree or from dist/bench/ingest (fixtures are not copied into dist). */
function findFixtures(): string {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = resolve(dir, 'test/fixtures/video');
    if (existsSync(candidate)) return candidate;
  }
  return resolve(__dirname, '../../test/fixtures/video');
}
const FIXTURES = findFixtures();
const DEFAULT_VIDEOS = [
  resolve(FIXTURES, 'popeye/popeye-p2.mkv'),
  resolve(FIXTURES, 'popeye/popeye-p3.mkv'),
  resolve(FIXTURES, 'popeye/popeye-p4.mkv'),
  resolve(FIXTURES, 'mediaelement/echo-hereweare.webm'),
];

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { medianMs: round(mid), p90Ms: round(s[Math.min(s.length - 1, Math.floor(0.9 * s.length))]), n: s.length };
}

async function time(fn: () => Promise<unknown> | unknown, warmup: number, repeats: number): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

export async function runIngestBench(opts: IngestBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? (() => undefined);
  const videos = opts.videos ?? DEFAULT_VIDEOS;
  const repeats = opts.repeats ?? 3;
  const warmup = opts.warmup ?? 1;
  const fps = opts.fps ?? 1;
  const size = opts.size ?? 224;
  const clipLengthS = opts.clipLengthS ?? 10;
  const media = new FfmpegMediaRepository({ timeoutMs: 600_000 });
  const images = new SharpImageRepository({ maxPixels: 50_000_000 });

  const perVideo: Record<string, unknown>[] = [];
  let totalDuration = 0;
  let sumBaseline = 0;
  let sumSample = 0;
  let sumClips = 0;
  let sumOnePass = 0;
  let totalFrames = 0;
  let totalClips = 0;
  for (const path of videos) {
    const probe = await media.probe(path);
    const v = probe.videoStreams[0];
    log(`video ${path}: ${probe.durationS.toFixed(1)} s ${v.codec} ${v.width}x${v.height}`);
    // Baseline: ffmpeg decoding every frame of the same file and discarding it.
    const baseline = await time(
      () => {
        const r = spawnSync(
          'ffmpeg',
          ['-v', 'error', '-nostdin', '-i', path, '-map', `0:${v.index}`, '-f', 'null', '-'],
          { stdio: 'ignore' },
        );
        if (r.status !== 0) throw new Error(`ffmpeg -f null failed on ${path}`);
      },
      warmup,
      repeats,
    );
    let frames = 0;
    const sample = await time(
      async () => {
        frames = (
          await media.sampleFrames(path, {
            fps,
            width: size,
            height: size,
            maxFrames: Math.ceil(probe.durationS * fps) + 2,
          })
        ).frames.length;
      },
      warmup,
      repeats,
    );
    const plan = (await media.segment(path, { mode: 'fixed', lengthS: clipLengthS })).clips;
    const clips = await time(
      async () => {
        for (const c of plan)
          await media.sampleFrames(path, {
            fps,
            width: size,
            height: size,
            startS: c.startS,
            endS: c.endS,
            maxFrames: Math.ceil((c.endS - c.startS) * fps) + 2,
          });
      },
      warmup,
      repeats,
    );
    // The same clips from one decode pass (what an ingest job should call).
    const onePass = await time(
      () => media.sampleClips(path, plan, { fps, width: size, height: size }),
      warmup,
      repeats,
    );
    totalDuration += probe.durationS;
    sumOnePass += onePass.medianMs;
    sumBaseline += baseline.medianMs;
    sumSample += sample.medianMs;
    sumClips += clips.medianMs;
    totalFrames += frames;
    totalClips += plan.length;
    perVideo.push({
      file: path.slice(FIXTURES.length + 1),
      codec: v.codec,
      size: `${v.width}x${v.height}`,
      durationS: round(probe.durationS),
      ffmpegDecodeNull: { ...baseline, realtimeX: round(probe.durationS / (baseline.medianMs / 1000)) },
      sampleFrames: {
        ...sample,
        frames,
        framesPerSec: round(frames / (sample.medianMs / 1000)),
        realtimeX: round(probe.durationS / (sample.medianMs / 1000)),
      },
      perClipSampling: { ...clips, clips: plan.length, clipsPerSec: round(plan.length / (clips.medianMs / 1000)) },
      sampleClipsOnePass: {
        ...onePass,
        clips: plan.length,
        clipsPerSec: round(plan.length / (onePass.medianMs / 1000)),
      },
      ratioSampleToDecode: round(sample.medianMs / baseline.medianMs, 3),
      ratioClipsToDecode: round(clips.medianMs / baseline.medianMs, 3),
      ratioOnePassToDecode: round(onePass.medianMs / baseline.medianMs, 3),
    });
  }

  // Images: real pictures (full-size frames of the first video) as JPEGs.
  const nImages = opts.images ?? 32;
  const src = await media.sampleFrames(videos[0], { fps: 1, maxFrames: nImages });
  const jpegs = await Promise.all(
    src.frames.map((f) =>
      sharp(Buffer.from(f.buffer, f.byteOffset, f.byteLength), {
        raw: { width: src.width, height: src.height, channels: 3 },
      })
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
  );
  const bareDecode = await time(
    async () => {
      for (const j of jpegs) await sharp(j).raw().toBuffer();
    },
    warmup,
    repeats,
  );
  const pipeline = await time(
    async () => {
      for (const j of jpegs)
        await images.toRgb(j, {
          width: size,
          height: size,
          dtype: 'float32',
          mean: [0.485, 0.456, 0.406],
          std: [0.229, 0.224, 0.225],
        });
    },
    warmup,
    repeats,
  );

  const result = {
    bench: 'ingest',
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    // Other work on the machine skews every number; read ratios, not absolute times.
    loadAverage1m: round(loadavg()[0]),
    ffmpeg: spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0],
    vips: sharp.versions.vips,
    settings: { repeats, warmup, fps, size, clipLengthS },
    videos: perVideo,
    totals: {
      videoSeconds: round(totalDuration),
      ffmpegDecodeNullMs: round(sumBaseline),
      sampleFramesMs: round(sumSample),
      perClipSamplingMs: round(sumClips),
      framesPerSec: round(totalFrames / (sumSample / 1000)),
      clipsPerSec: round(totalClips / (sumClips / 1000)),
      clipsPerSecOnePass: round(totalClips / (sumOnePass / 1000)),
      ratioOnePassToDecode: round(sumOnePass / sumBaseline, 3),
      ratioSampleToDecode: round(sumSample / sumBaseline, 3),
      ratioClipsToDecode: round(sumClips / sumBaseline, 3),
    },
    images: {
      count: jpegs.length,
      sourceSize: `${src.width}x${src.height}`,
      sharpDecodeOnly: { ...bareDecode, imagesPerSec: round(jpegs.length / (bareDecode.medianMs / 1000)) },
      toRgbFloat32: { ...pipeline, imagesPerSec: round(jpegs.length / (pipeline.medianMs / 1000)) },
      ratioPipelineToDecode: round(pipeline.medianMs / bareDecode.medianMs, 3),
    },
  };
  log(JSON.stringify(result, null, 2));
  return result;
}
