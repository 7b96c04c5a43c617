import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { DEFAULT_S2DTW_OPTIONS } from '../s2dtw/s2dtw-options';
import { s2dtwExpectedAlignment, s2dtwForwardBatch } from '../s2dtw/s2dtw.kernel';
import { VttwinsTextEncoder } from '../encoders/vttwins-text-encoder';
import { VttwinsVideoEncoder } from '../encoders/vttwins-video-encoder';
import { VttwinsConfig, type VttwinsConfigValues } from '../training/vttwins-config';
import { VttwinsTrainer } from '../training/vttwins-trainer';
import { type SyntheticVideo, type SyntheticVideoOptions, SyntheticVideoWorld } from './synthetic-videos';

/*
 * Synthetic alignment benchmark: train each method on weakly aligned synthetic narrated videos, then
 * measure on held-out videos that deal out every concept once (so each caption's true clip is unique):
 * - alignment accuracy: share of relevant captions whose most similar clip in their own video is the
 *   clip they describe;
 * - true-cell recall (spec §12): mean S2DTW expected alignment on the (true clip, caption) cells;
 * - text→clip retrieval over all held-out clips: R@1/5/10 (%) and median rank (1-based).
 * Methods: random (untrained encoders), InfoNCE with timestamp pairing (MIL-NCE with window 0),
 * MIL-NCE (neighbouring captions as positives, no alignment), plain soft-DTW, S2DTW.
 */

export type SyntheticMethod = 'random' | 'infonce-timestamp' | 'mil-nce' | 'soft-dtw' | 's2dtw';

export const SYNTHETIC_METHODS: readonly SyntheticMethod[] = [
  'random',
  'infonce-timestamp',
  'mil-nce',
  'soft-dtw',
  's2dtw',
];

export interface SyntheticAlignmentEvalOptions {
  methods?: SyntheticMethod[];
  seeds?: number[];
  steps?: number;
  batchSize?: number;
  jointDim?: number;
  hidden?: number;
  learningRate?: number;
  /** Held-out galleries, each dealing out every concept once (default 3). */
  heldOutGalleries?: number;
  world?: Partial<SyntheticVideoOptions>;
  /** Extra config for every trained method (e.g. delta). */
  trainer?: Partial<VttwinsConfigValues>;
  log?: (line: string) => void;
}

/** The quick configuration (a few minutes on 2 cores, wasm backend): all methods, 3 seeds, 150 steps. */
export const QUICK_SYNTHETIC_EVAL: Readonly<SyntheticAlignmentEvalOptions> = Object.freeze({
  methods: [...SYNTHETIC_METHODS],
  seeds: [1, 2, 3],
  steps: 150,
  batchSize: 8,
  jointDim: 32,
  hidden: 32,
  learningRate: 3e-3,
  heldOutGalleries: 3,
});

export interface SyntheticMetrics {
  /** % of relevant captions whose most similar clip in their own video is the true clip. */
  alignmentAccuracy: number;
  /** Spec §12 true-cell recall: mean S2DTW expected alignment E (default knobs) on the true cells, in %. */
  trueCellRecall: number;
  r1: number;
  r5: number;
  r10: number;
  medianRank: number;
}

export interface SyntheticAlignmentRow {
  method: SyntheticMethod;
  perSeed: SyntheticMetrics[];
  mean: SyntheticMetrics;
  std: SyntheticMetrics;
  trainSeconds: number;
}

export interface SyntheticAlignmentTable {
  rows: SyntheticAlignmentRow[];
  /** Relevant captions evaluated per seed (pooled over galleries). */
  queries: number;
  /** Clips per held-out gallery. */
  galleryClips: number;
  /** The rows as aligned text (mean ± std). */
  text: string;
}

const METRIC_KEYS = ['alignmentAccuracy', 'trueCellRecall', 'r1', 'r5', 'r10', 'medianRank'] as const;

/** Metrics of clip and caption embeddings (unit rows) of held-out videos (one gallery). */
export function evaluateSyntheticEmbeddings(
  videos: SyntheticVideo[],
  clipEmb: Float32Array,
  captionEmb: Float32Array,
  dim: number,
): SyntheticMetrics {
  return summarizeRanks(syntheticRanks(videos, clipEmb, captionEmb, dim));
}

export interface SyntheticRankData {
  /** Per relevant caption: 0-based rank of its true clip among all gallery clips. */
  ranks: number[];
  /** Per relevant caption: whether its best clip within its own video is the true one. */
  aligned: boolean[];
  /** Per relevant caption: S2DTW expected alignment of the (true clip, caption) match cell. */
  trueCellE: number[];
}

/** Raw per-caption results on one gallery of held-out videos. */
export function syntheticRanks(
  videos: SyntheticVideo[],
  clipEmb: Float32Array,
  captionEmb: Float32Array,
  dim: number,
): SyntheticRankData {
  const n = videos[0].concepts.length;
  const clips = videos.length * n;
  const dot = (a: Float32Array, ai: number, b: Float32Array, bi: number): number => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += a[ai * dim + k] * b[bi * dim + k];
    return s;
  };
  const aligned: boolean[] = [];
  const ranks: number[] = [];
  const trueCellE: number[] = [];
  // S2DTW of each video's own clips (rows) against its captions (columns), all videos in one batch.
  const z = new Float64Array(videos.length * n * n);
  videos.forEach((_, vi) => {
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) z[(vi * n + i) * n + j] = dot(clipEmb, vi * n + i, captionEmb, vi * n + j);
  });
  const { state } = s2dtwForwardBatch(z, videos.length, n, n, DEFAULT_S2DTW_OPTIONS);
  const cols = 2 * n + 1;
  videos.forEach((v, vi) => {
    const e = s2dtwExpectedAlignment(state, vi);
    v.target.forEach((clip, j) => {
      if (clip < 0) return;
      const q = vi * n + j;
      // Alignment: best clip within the same video.
      let best = 0;
      let bestScore = -Infinity;
      for (let i = 0; i < n; i++) {
        const s = dot(captionEmb, q, clipEmb, vi * n + i);
        if (s > bestScore) {
          bestScore = s;
          best = i;
        }
      }
      aligned.push(best === clip);
      trueCellE.push(e[(2 * clip + 1) * cols + 2 * j + 1]);
      // Retrieval: rank of the true clip among all held-out clips (ties count against the query).
      const trueScore = dot(captionEmb, q, clipEmb, vi * n + clip);
      let rank = 0;
      for (let c = 0; c < clips; c++) if (c !== vi * n + clip && dot(captionEmb, q, clipEmb, c) >= trueScore) rank++;
      ranks.push(rank);
    });
  });
  return { ranks, aligned, trueCellE };
}

export function summarizeRanks({ ranks, aligned, trueCellE }: SyntheticRankData): SyntheticMetrics {
  if (ranks.length === 0) throw new InvalidInputError('held-out videos have no relevant captions');
  const pct = (k: number): number => (100 * ranks.filter((r) => r < k).length) / ranks.length;
  const sorted = ranks.slice().sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    alignmentAccuracy: (100 * aligned.filter(Boolean).length) / ranks.length,
    trueCellRecall: (100 * trueCellE.reduce((a, x) => a + x, 0)) / trueCellE.length,
    r1: pct(1),
    r5: pct(5),
    r10: pct(10),
    medianRank: median + 1,
  };
}

function meanStd(list: SyntheticMetrics[]): { mean: SyntheticMetrics; std: SyntheticMetrics } {
  const mean = {} as SyntheticMetrics;
  const std = {} as SyntheticMetrics;
  for (const k of METRIC_KEYS) {
    const xs = list.map((m) => m[k]);
    const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[k] = mu;
    std[k] = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / (xs.length - 1)) : 0;
  }
  return { mean, std };
}

function trainerConfig(method: SyntheticMethod, base: Partial<VttwinsConfigValues>): Partial<VttwinsConfigValues> {
  switch (method) {
    case 'infonce-timestamp':
      return { ...base, loss: 'mil-nce', milNceWindow: 0 };
    case 'mil-nce':
      return { ...base, loss: 'mil-nce', milNceWindow: 1 };
    case 'soft-dtw':
      return { ...base, loss: 'soft-dtw' };
    default:
      return { ...base, loss: 's2dtw' };
  }
}

export async function runSyntheticAlignmentEval(
  opts: SyntheticAlignmentEvalOptions = {},
): Promise<SyntheticAlignmentTable> {
  const methods = opts.methods ?? [...SYNTHETIC_METHODS];
  const seeds = opts.seeds ?? [1, 2, 3];
  const log = opts.log ?? (() => undefined);
  const rows: SyntheticAlignmentRow[] = [];
  let queries = 0;
  let galleryClips = 0;
  for (const method of methods) {
    const perSeed: SyntheticMetrics[] = [];
    let trainSeconds = 0;
    for (const seed of seeds) {
      const world = new SyntheticVideoWorld(opts.world, 1000 + seed);
      const o = world.options;
      const jointDim = opts.jointDim ?? 32;
      const hidden = opts.hidden ?? 32;
      const video = new VttwinsVideoEncoder({
        frames: o.frames,
        height: o.height,
        width: o.width,
        channels: o.channels,
        patch: Math.min(4, o.height, o.width),
        hidden,
        jointDim,
        seed: 10 * seed + 1,
      });
      const text = new VttwinsTextEncoder({
        vocabSize: world.vocabSize,
        maxWords: o.maxWords,
        wordDim: hidden,
        hidden: 2 * hidden,
        jointDim,
        seed: 10 * seed + 2,
      });
      const t0 = performance.now();
      if (method !== 'random') {
        const config = VttwinsConfig.create(
          trainerConfig(method, {
            ...opts.trainer,
            clipsPerVideo: o.clipsPerVideo,
            batchSize: opts.batchSize ?? 8,
            steps: opts.steps ?? 150,
            learningRate: opts.learningRate ?? 3e-3,
            seed,
          }),
        );
        const trainer = new VttwinsTrainer(config, video, text);
        const rng = new Rng(seed);
        const losses = await trainer.train(() => world.batch(rng, config.batchSize));
        trainer.dispose();
        log(`${method} seed ${seed}: loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(3)}`);
      }
      trainSeconds += (performance.now() - t0) / 1000;
      // Held out: separate streams; each gallery deals out every concept exactly once.
      const pooled: SyntheticRankData = { ranks: [], aligned: [], trueCellE: [] };
      const testRng = new Rng(999_999 + seed);
      for (let g = 0; g < (opts.heldOutGalleries ?? 3); g++) {
        const held = world.heldOut(testRng);
        const batch = SyntheticVideoWorld.toBatch(held);
        const count = held.length * o.clipsPerVideo;
        const ce = video.encode(batch.frames, count);
        const te = text.encode(batch.tokens, count);
        const [cv, tv] = [(await ce.data()) as Float32Array, (await te.data()) as Float32Array];
        tf.dispose([ce, te]);
        const r = syntheticRanks(held, cv, tv, jointDim);
        pooled.ranks.push(...r.ranks);
        pooled.aligned.push(...r.aligned);
        pooled.trueCellE.push(...r.trueCellE);
        galleryClips = count;
      }
      queries = pooled.ranks.length;
      perSeed.push(summarizeRanks(pooled));
      video.dispose();
      text.dispose();
    }
    const { mean, std } = meanStd(perSeed);
    rows.push({ method, perSeed, mean, std, trainSeconds });
    log(`${method}: ${formatRow(rows[rows.length - 1])}`);
  }
  const header = `${'method'.padEnd(18)} ${'align acc %'.padEnd(14)} ${'true-cell E %'.padEnd(14)} ${'R@1'.padEnd(14)} ${'R@5'.padEnd(14)} ${'R@10'.padEnd(14)} MdR`;
  const text = [header, ...rows.map((r) => `${r.method.padEnd(18)} ${formatRow(r)}`)].join('\n');
  return { rows, queries, galleryClips, text };
}

function formatRow(r: SyntheticAlignmentRow): string {
  return METRIC_KEYS.map((k) => `${r.mean[k].toFixed(1)} ± ${r.std[k].toFixed(1)}`.padEnd(14)).join(' ');
}
