import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NotFoundError, projectRoot, Rng, stagedDataDir } from '@tessera/common';
import {
  rankOf,
  retrievalMetricsFromRanks,
  summarizeSeeds,
  type RetrievalMetrics,
  type SeedSummary,
} from '@tessera/eval';
import { alignCaptionsToClips, parseSubtitles } from '@tessera/ingest/text';
import { FfmpegMediaRepository, planClips } from '@tessera/ingest/video';
import { runVttwinsTraining, type VttwinsLossKind } from '@tessera/models/vttwins';
import {
  buildVttwinsTrainingSet,
  type PreparedVideo,
  stackClipFrames,
  VTTWINS_FRAME,
  VTTWINS_SAMPLE_FPS,
} from './vttwins-training-set';
import type { VttwinsModel } from './vttwins-model.store';

export type RealEvalMethod = 'random' | VttwinsLossKind;
export const REAL_EVAL_METHODS: readonly RealEvalMethod[] = ['random', 'mil-nce', 'soft-dtw', 's2dtw'];

export interface RealVideoEvalOptions {
  /** Folder holding `video/popeye` (and `video/mediaelement`); default ../shared/data, else the bundled clips. */
  dataRoot?: string;
  seeds?: number[];
  methods?: RealEvalMethod[];
  /** Adam steps per trained model (default 80). */
  steps?: number;
  /** Clips per training sequence, n (default 4). */
  clipsPerVideo?: number;
  /** Sequences per batch, b (default 4). */
  batchSize?: number;
  /** Adam learning rate (default 3e-3). */
  learningRate?: number;
  /** Train with the spec's temporal data augmentation (default off). */
  temporalAugmentation?: boolean;
  /** Train on randomly flipped, colour-scaled frames (default off). */
  frameAugmentation?: boolean;
  /** Also train on the MediaElement demo video (default true; its subtitles do not describe the picture). */
  withMediaElement?: boolean;
  /**
   * How videos are cut: 'cue' (default) one clip per subtitle cue, so each held-out video gives one query
   * per cue; 'merged' joins cues < 0.5 s apart up to 10 s, as the ingest job's default does.
   */
  clipping?: RealEvalClipping;
  ffmpeg?: FfmpegMediaRepository;
  onLog?: (line: string) => void;
}

export type RealEvalClipping = 'cue' | 'merged';

export interface LoadedSubtitledVideo extends PreparedVideo {
  file: string;
  durationS: number;
  clipTimes: { startS: number; endS: number }[];
  notes: string[];
}

export interface RealFoldReport {
  heldOut: string;
  trainedOn: string[];
  /** Clips of the held-out video: every query is ranked against all of them. */
  candidates: number;
  /** Captioned clips of the held-out video (one query each; gold = its own clip). */
  queries: number;
  /** Expected values for a uniformly random ranking of this pool. */
  chance: { 'R@1': number; 'R@5': number; 'R@10': number; medianRank: number };
  /** method → metrics per seed. */
  runs: Record<string, (RetrievalMetrics & { seed: number; lastLoss?: number })[]>;
  /**
   * The same models ranking the captions of the Popeye clips they were trained on (each against its own
   * video's clips): shows whether training fitted at all; not a retrieval result.
   */
  seenRuns: Record<string, (RetrievalMetrics & { seed: number })[]>;
  /**
   * No frames, no training of encoders: each caption's word count predicts its clip's duration (a line
   * fitted on the training Popeye clips) and clips rank by how close their duration is. The plainest
   * cross-modal cue that one-clip-per-cue cutting leaves in the data; a reference, not a method.
   */
  durationCue: RetrievalMetrics;
}

export interface RealVideoEvalReport {
  status: 'ran' | 'skipped';
  reason?: string;
  protocol?: string;
  dataRoot?: string;
  settings?: Record<string, unknown>;
  folds?: RealFoldReport[];
  /** Per method: each seed's metrics pooled over the held-out queries of all folds, then mean ± std over seeds. */
  summary?: Record<string, Record<'R@1' | 'R@5' | 'R@10' | 'medianRank', SeedSummary>>;
  /** The fit check (`seenRuns`) pooled the same way. */
  seenSummary?: Record<string, Record<'R@1' | 'R@5' | 'medianRank', SeedSummary>>;
  /** Chance pooled the same way (query-weighted mean of the folds' chance values). */
  chance?: { 'R@1': number; 'R@5': number; 'R@10': number; medianRank: number };
  /**
   * Central 95 % of the seed mean that a model ranking at random would get on these pools with this many
   * seeds (simulated): a method's mean outside it is unlikely to be luck.
   */
  chanceBand95?: Record<'R@1' | 'R@5' | 'medianRank', [number, number]>;
  /** The folds' `durationCue` reference pooled the same way (deterministic: no seeds). */
  durationCue?: { 'R@1': number; 'R@5': number; 'R@10': number; medianRank: number };
  table?: string;
  wallMs?: number;
}

const POPEYE = ['popeye-p2', 'popeye-p3', 'popeye-p4'];

/** Where the subtitled real videos are: the staged shared data, else the clips bundled with the tests. */
export function locateRealVideos(dataRoot?: string): { root: string } | { reason: string } {
  const candidates = dataRoot
    ? [join(dataRoot, 'video')]
    : [join(stagedDataDir(), 'video'), join(projectRoot(), 'test', 'fixtures', 'video')];
  for (const root of candidates) {
    if (
      POPEYE.every(
        (p) => existsSync(join(root, 'popeye', `${p}.mkv`)) && existsSync(join(root, 'popeye', `${p}.eng.srt`)),
      )
    )
      return { root };
  }
  return { reason: `no Popeye clips with subtitles under ${candidates.join(' or ')}` };
}

/**
 * One subtitled video through the ingest library, as the platform's ingest job cuts it: probe (clips
 * follow the picture), SRT cues, clips planned along the cues, captions aligned to clips, frames
 * sampled once per video.
 */
export async function loadSubtitledVideo(
  ffmpeg: FfmpegMediaRepository,
  videoPath: string,
  subtitlePath: string,
  clipping: RealEvalClipping = 'merged',
): Promise<LoadedSubtitledVideo> {
  const probe = await ffmpeg.probe(videoPath);
  const durationS = probe.videoStreams[0]?.durationS ?? probe.durationS;
  const parsed = parseSubtitles(await readFile(subtitlePath, 'utf8'), { source: basename(subtitlePath) });
  const plan = planClips(durationS, {
    mode: 'cues',
    cues: parsed.cues.map((c) => ({ startS: c.startS, endS: c.endS, text: c.text })),
    // -Infinity: no two cues ever join, not even back-to-back ones
    ...(clipping === 'cue' ? { mergeGapS: -Infinity } : {}),
  });
  const spans = plan.clips.map((c) => ({ ...c, id: String(c.index) }));
  const aligned = alignCaptionsToClips(spans, parsed.cues, { durationS });
  const sampled = await ffmpeg.sampleClips(videoPath, spans, {
    fps: VTTWINS_SAMPLE_FPS,
    width: VTTWINS_FRAME.width,
    height: VTTWINS_FRAME.height,
    maxFramesPerClip: VTTWINS_FRAME.frames,
  });
  const captionOf = new Map(aligned.pairs.map((p) => [p.clip.index, p.caption]));
  return {
    id: basename(videoPath).replace(/\.[^.]+$/, ''),
    file: videoPath,
    durationS,
    clips: sampled.clips.map((c, i) => ({
      frames: stackClipFrames(c.frames),
      caption: captionOf.get(spans[i].index) ?? '',
    })),
    clipTimes: spans.map((s) => ({ startS: s.startS, endS: s.endS })),
    notes: [...parsed.notes, ...plan.notes.map((n) => `cue ${n.cueIndex} ${n.action}: ${n.reason}`)],
  };
}

/** The three Popeye clips and, when asked and present, the MediaElement demo, cut as `clipping` says. */
async function loadRealVideos(
  ffmpeg: FfmpegMediaRepository,
  root: string,
  clipping: RealEvalClipping,
  withMediaElement: boolean,
): Promise<{ popeye: LoadedSubtitledVideo[]; extra: LoadedSubtitledVideo[] }> {
  const popeye: LoadedSubtitledVideo[] = [];
  for (const p of POPEYE)
    popeye.push(
      await loadSubtitledVideo(
        ffmpeg,
        join(root, 'popeye', `${p}.mkv`),
        join(root, 'popeye', `${p}.eng.srt`),
        clipping,
      ),
    );
  const extra: LoadedSubtitledVideo[] = [];
  const me = join(root, 'mediaelement');
  if (withMediaElement && existsSync(join(me, 'echo-hereweare.webm')))
    extra.push(
      await loadSubtitledVideo(ffmpeg, join(me, 'echo-hereweare.webm'), join(me, 'mediaelement.srt'), clipping),
    );
  return { popeye, extra };
}

/**
 * Leave-one-video-out text → clip retrieval on real subtitled video: for each Popeye clip, train on the
 * other two (plus the MediaElement demo), then rank all clips of the held-out video for each of its
 * captions. Every method is trained identically (same data, steps, seeds, encoders); `random` is the
 * untrained model. Tiny by construction: a pool of about a dozen clips per held-out video.
 */
export async function evaluateVttwinsRealVideo(opts: RealVideoEvalOptions = {}): Promise<RealVideoEvalReport> {
  const log = opts.onLog ?? (() => undefined);
  const found = locateRealVideos(opts.dataRoot);
  if ('reason' in found) return { status: 'skipped', reason: found.reason };
  const started = performance.now();
  const ffmpeg = opts.ffmpeg ?? new FfmpegMediaRepository();
  const seeds = opts.seeds ?? [1, 2, 3, 4, 5];
  const methods = opts.methods ?? [...REAL_EVAL_METHODS];
  const steps = opts.steps ?? 80;
  const n = opts.clipsPerVideo ?? 4;
  const batchSize = opts.batchSize ?? 4;
  const learningRate = opts.learningRate ?? 3e-3;
  const temporalAugmentation = opts.temporalAugmentation ?? false;
  const frameAugmentation = opts.frameAugmentation ?? false;
  const clipping = opts.clipping ?? 'cue';
  const { popeye, extra } = await loadRealVideos(ffmpeg, found.root, clipping, opts.withMediaElement ?? true);
  for (const v of [...popeye, ...extra])
    log(
      `loaded ${v.id}: ${v.clips.length} clips (${v.clips.filter((c) => c.caption).length} captioned), ${v.durationS.toFixed(1)} s`,
    );

  const folds: RealFoldReport[] = [];
  for (const heldOut of popeye) {
    const train = [...popeye.filter((v) => v !== heldOut), ...extra];
    const queries = heldOut.clips.flatMap((c, i) => (c.caption ? [{ caption: c.caption, gold: i }] : []));
    const N = heldOut.clips.length;
    const fold: RealFoldReport = {
      heldOut: heldOut.id,
      trainedOn: train.map((v) => v.id),
      candidates: N,
      queries: queries.length,
      chance: chanceLevels(N),
      runs: {},
      seenRuns: {},
      durationCue: retrievalMetricsFromRanks(
        durationCueRanks(
          train.filter((v) => popeye.includes(v)),
          heldOut,
        ),
      ),
    };
    for (const method of methods) {
      fold.runs[method] = [];
      fold.seenRuns[method] = [];
      for (const seed of seeds) {
        const set = await buildVttwinsTrainingSet(train, {
          version: `eval-${heldOut.id}-${method}-${seed}`,
          clipsPerVideo: n,
          batchSize,
          steps,
          seed,
          loss: method === 'random' ? 's2dtw' : method,
          learningRate,
          temporalAugmentation,
          frameAugmentation,
          splitVideos: true,
        });
        let lastLoss: number | undefined;
        try {
          if (method !== 'random') {
            const run = await runVttwinsTraining({
              config: set.config,
              video: set.model.video,
              text: set.model.text,
              store: set.model.store,
              nextBatch: set.nextBatch,
            });
            lastLoss = mean(run.losses.slice(-10));
          }
          const m = retrievalMetricsFromRanks(await rankOwnClips(set.model, heldOut));
          // the same model on the Popeye clips it was trained on: a fit check, not a result
          const seenRanks: number[] = [];
          for (const v of train.filter((t) => popeye.includes(t)))
            seenRanks.push(...(await rankOwnClips(set.model, v)));
          fold.seenRuns[method].push({ ...retrievalMetricsFromRanks(seenRanks), seed });
          fold.runs[method].push({ ...m, seed, ...(lastLoss !== undefined ? { lastLoss } : {}) });
          log(
            `held out ${heldOut.id} · ${method} · seed ${seed}: R@1 ${pct(m['R@1'])} R@5 ${pct(m['R@5'])} MdR ${m.medianRank}${lastLoss !== undefined ? ` (loss ${lastLoss.toFixed(3)})` : ''}`,
          );
        } finally {
          set.model.dispose();
        }
      }
    }
    folds.push(fold);
  }

  // per seed: pool the folds' queries (query-weighted), then spread over seeds
  const totalQueries = folds.reduce((a, f) => a + f.queries, 0);
  const weighted = (pick: (f: RealFoldReport) => number) =>
    folds.reduce((a, f) => a + pick(f) * f.queries, 0) / totalQueries;
  const summary: NonNullable<RealVideoEvalReport['summary']> = {};
  for (const method of methods) {
    const perSeed = seeds.map((_, s) => ({
      'R@1': weighted((f) => f.runs[method][s]['R@1']),
      'R@5': weighted((f) => f.runs[method][s]['R@5']),
      'R@10': weighted((f) => f.runs[method][s]['R@10']),
      // median rank is not additive: the mean of the folds' medians
      medianRank: mean(folds.map((f) => f.runs[method][s].medianRank)),
    }));
    summary[method] = {
      'R@1': summarizeSeeds(perSeed.map((x) => x['R@1'])),
      'R@5': summarizeSeeds(perSeed.map((x) => x['R@5'])),
      'R@10': summarizeSeeds(perSeed.map((x) => x['R@10'])),
      medianRank: summarizeSeeds(perSeed.map((x) => x.medianRank)),
    };
  }
  const seenSummary: NonNullable<RealVideoEvalReport['seenSummary']> = {};
  for (const method of methods) {
    const pooled = (k: 'R@1' | 'R@5') =>
      seeds.map((_, s) => {
        const q = folds.reduce((a, f) => a + f.seenRuns[method][s].queries, 0);
        return folds.reduce((a, f) => a + f.seenRuns[method][s][k] * f.seenRuns[method][s].queries, 0) / q;
      });
    seenSummary[method] = {
      'R@1': summarizeSeeds(pooled('R@1')),
      'R@5': summarizeSeeds(pooled('R@5')),
      medianRank: summarizeSeeds(seeds.map((_, s) => mean(folds.map((f) => f.seenRuns[method][s].medianRank)))),
    };
  }
  const durationCue = {
    'R@1': weighted((f) => f.durationCue['R@1']),
    'R@5': weighted((f) => f.durationCue['R@5']),
    'R@10': weighted((f) => f.durationCue['R@10']),
    medianRank: mean(folds.map((f) => f.durationCue.medianRank)),
  };
  const chance = {
    'R@1': weighted((f) => f.chance['R@1']),
    'R@5': weighted((f) => f.chance['R@5']),
    'R@10': weighted((f) => f.chance['R@10']),
    medianRank: mean(folds.map((f) => f.chance.medianRank)),
  };
  const chanceBand95 = chanceBand(
    folds.map((f) => ({ candidates: f.candidates, queries: f.queries })),
    seeds.length,
  );
  const report: RealVideoEvalReport = {
    status: 'ran',
    protocol:
      'leave-one-video-out over the 3 Popeye clips: train on the other two' +
      (extra.length ? ' + the MediaElement demo (its subtitles do not describe the picture)' : '') +
      '; each caption of the held-out video ranks all clips of that video (gold: its own clip)',
    dataRoot: found.root,
    settings: {
      seeds,
      methods,
      steps,
      clipsPerVideo: n,
      batchSize,
      learningRate,
      temporalAugmentation,
      frameAugmentation,
      clipping,
      frames: VTTWINS_FRAME,
      sampleFps: VTTWINS_SAMPLE_FPS,
      splitVideos: true,
    },
    folds,
    summary,
    seenSummary,
    chance,
    chanceBand95,
    durationCue,
    wallMs: Math.round(performance.now() - started),
  };
  report.table = realEvalTable(report);
  return report;
}

/** 1-based rank of each captioned clip among all clips of the same video, for its own caption. */
async function rankOwnClips(model: VttwinsModel, video: PreparedVideo): Promise<number[]> {
  const queries = video.clips.flatMap((c, i) => (c.caption ? [{ caption: c.caption, gold: i }] : []));
  const n = video.clips.length;
  if (queries.length === 0) return [];
  const frames = new Uint8Array(n * video.clips[0].frames.length);
  video.clips.forEach((c, i) => frames.set(c.frames, i * c.frames.length));
  const clipVectors = await model.video.embed(frames, n);
  const textVectors = await model.text.embed(await model.tokenize(queries.map((q) => q.caption)), queries.length);
  const sim = tf.tidy(() =>
    tf.matMul(
      tf.tensor2d(textVectors, [queries.length, model.card.text.jointDim]),
      tf.tensor2d(clipVectors, [n, model.card.video.jointDim]),
      false,
      true,
    ),
  );
  const scores = (await sim.data()) as Float32Array;
  sim.dispose();
  return queries.map((q, k) => rankOf(scores.subarray(k * n, (k + 1) * n), q.gold));
}

/** Ranks for the `durationCue` reference: clips ordered by |duration − a − b·words(caption)|. */
function durationCueRanks(train: LoadedSubtitledVideo[], heldOut: LoadedSubtitledVideo): number[] {
  const words = (caption: string) => caption.split(/\s+/).filter(Boolean).length;
  const length = (v: LoadedSubtitledVideo, i: number) => v.clipTimes[i].endS - v.clipTimes[i].startS;
  const pairs = train.flatMap((v) => v.clips.flatMap((c, i) => (c.caption ? [[words(c.caption), length(v, i)]] : [])));
  const mx = mean(pairs.map((p) => p[0]));
  const my = mean(pairs.map((p) => p[1]));
  const vx = mean(pairs.map((p) => (p[0] - mx) ** 2));
  const b = vx > 0 ? mean(pairs.map((p) => (p[0] - mx) * (p[1] - my))) / vx : 0;
  const durations = heldOut.clips.map((_, i) => length(heldOut, i));
  return heldOut.clips.flatMap((c, gold) => {
    if (!c.caption) return [];
    const predicted = my + b * (words(c.caption) - mx);
    return [
      rankOf(
        Float64Array.from(durations, (d) => -Math.abs(d - predicted)),
        gold,
      ),
    ];
  });
}

/** An S2DTW model trained on every subtitled real video found (seed 1, the evaluation's settings). */
export async function trainOnRealVideos(opts: RealVideoEvalOptions = {}): Promise<VttwinsModel> {
  const found = locateRealVideos(opts.dataRoot);
  if ('reason' in found) throw new NotFoundError(found.reason);
  const ffmpeg = opts.ffmpeg ?? new FfmpegMediaRepository();
  const { popeye, extra } = await loadRealVideos(ffmpeg, found.root, opts.clipping ?? 'cue', true);
  const videos: PreparedVideo[] = [...popeye, ...extra];
  const seed = opts.seeds?.[0] ?? 1;
  const set = await buildVttwinsTrainingSet(videos, {
    version: `eval-real-all-${seed}`,
    clipsPerVideo: opts.clipsPerVideo ?? 4,
    batchSize: opts.batchSize ?? 4,
    steps: opts.steps ?? 80,
    seed,
    splitVideos: true,
  });
  try {
    await runVttwinsTraining({
      config: set.config,
      video: set.model.video,
      text: set.model.text,
      store: set.model.store,
      nextBatch: set.nextBatch,
    });
  } catch (e) {
    set.model.dispose();
    throw e;
  }
  return set.model;
}

/** Expected R@k and median rank when the gold clip's rank is uniform over a pool of n. */
export function chanceLevels(n: number): { 'R@1': number; 'R@5': number; 'R@10': number; medianRank: number } {
  return { 'R@1': 1 / n, 'R@5': Math.min(5, n) / n, 'R@10': Math.min(10, n) / n, medianRank: (n + 1) / 2 };
}

/**
 * The 2.5th and 97.5th percentiles of the seed-mean R@1, R@5 and median rank (mean of the folds' medians)
 * when every query's gold rank is uniform over its pool, independently per query and seed; seeded.
 */
export function chanceBand(
  pools: { candidates: number; queries: number }[],
  seeds: number,
  draws = 4000,
): Record<'R@1' | 'R@5' | 'medianRank', [number, number]> {
  const rng = new Rng(12345);
  const total = pools.reduce((a, p) => a + p.queries, 0);
  const samples = { 'R@1': [] as number[], 'R@5': [] as number[], medianRank: [] as number[] };
  for (let d = 0; d < draws; d++) {
    let r1 = 0;
    let r5 = 0;
    let mdr = 0;
    for (let s = 0; s < seeds; s++) {
      const medians: number[] = [];
      for (const p of pools) {
        const ranks = Array.from({ length: p.queries }, () => 1 + rng.int(p.candidates));
        r1 += ranks.filter((r) => r <= 1).length / total;
        r5 += ranks.filter((r) => r <= 5).length / total;
        medians.push(retrievalMetricsFromRanks(ranks).medianRank);
      }
      mdr += mean(medians);
    }
    samples['R@1'].push(r1 / seeds);
    samples['R@5'].push(r5 / seeds);
    samples.medianRank.push(mdr / seeds);
  }
  const band = (xs: number[]): [number, number] => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [sorted[Math.floor(0.025 * (draws - 1))], sorted[Math.ceil(0.975 * (draws - 1))]];
  };
  return { 'R@1': band(samples['R@1']), 'R@5': band(samples['R@5']), medianRank: band(samples.medianRank) };
}

export function realEvalTable(r: RealVideoEvalReport): string {
  if (r.status !== 'ran' || !r.summary || !r.folds || !r.chance) return `real-video evaluation skipped: ${r.reason}`;
  const lines = [
    `held-out real video (${r.protocol})`,
    `folds: ${r.folds.map((f) => `${f.heldOut} (${f.candidates} clips, ${f.queries} queries)`).join(', ')}`,
    '| method | R@1 % | R@5 % | R@10 % | MdR |',
    '|---|---|---|---|---|',
    `| chance (uniform ranking) | ${pct(r.chance['R@1'])} | ${pct(r.chance['R@5'])} | ${pct(r.chance['R@10'])} | ${r.chance.medianRank.toFixed(1)} |`,
  ];
  const b = r.chanceBand95;
  if (b)
    lines.push(
      `| chance, central 95 % of the seed mean | ${pct(b['R@1'][0])}–${pct(b['R@1'][1])} | ${pct(b['R@5'][0])}–${pct(b['R@5'][1])} | | ${b.medianRank[0].toFixed(1)}–${b.medianRank[1].toFixed(1)} |`,
    );
  const d = r.durationCue;
  if (d)
    lines.push(
      `| caption length → clip duration (reference, no frames) | ${pct(d['R@1'])} | ${pct(d['R@5'])} | ${pct(d['R@10'])} | ${d.medianRank.toFixed(1)} |`,
    );
  for (const [method, s] of Object.entries(r.summary)) {
    const cell = (x: SeedSummary) => `${pct(x.mean)} ± ${pct(x.std)}`;
    lines.push(
      `| ${method === 'random' ? 'random (untrained)' : method} | ${cell(s['R@1'])} | ${cell(s['R@5'])} | ${cell(s['R@10'])} | ${s.medianRank.mean.toFixed(1)} ± ${s.medianRank.std.toFixed(1)} |`,
    );
  }
  if (r.seenSummary) {
    lines.push(
      '',
      'fit check — the same models on the Popeye clips they were trained on (each caption against its own video; not a result):',
      '| method | R@1 % | R@5 % | MdR |',
      '|---|---|---|---|',
    );
    for (const [method, s] of Object.entries(r.seenSummary))
      lines.push(
        `| ${method === 'random' ? 'random (untrained)' : method} | ${pct(s['R@1'].mean)} ± ${pct(s['R@1'].std)} | ${pct(s['R@5'].mean)} ± ${pct(s['R@5'].std)} | ${s.medianRank.mean.toFixed(1)} ± ${s.medianRank.std.toFixed(1)} |`,
      );
  }
  return lines.join('\n');
}

const pct = (x: number) => (100 * x).toFixed(1);

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}
