import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import {
  DEFAULT_S2DTW_OPTIONS,
  type Matrix,
  s2dtwBackwardBatch,
  s2dtwForwardBatch,
  s2dtwReference,
  s2dtwSimilarity,
} from '@tessera/models/vttwins';
import { cpus } from 'node:os';

/*
 * S2DTW forward+backward on a batch of pairs (default 64 pairs of 8-clip/8-sentence sequences,
 * 17×17 grids): the batched kernel and the TF.js op, against the per-pair float64 loop reference in the
 * same run. Prints median/p90 and the ratio; never asserts.
 */

export interface S2dtwBenchOptions {
  batch?: number;
  clips?: number;
  warmup?: number;
  iterations?: number;
  seed?: number;
  /** TF.js backend for the op timing; the current one when omitted. */
  backend?: string;
  log?: (line: string) => void;
}

export interface S2dtwBenchTiming {
  name: string;
  medianMs: number;
  p90Ms: number;
}

export interface S2dtwBenchResult {
  batch: number;
  clips: number;
  backend: string;
  node: string;
  cpus: number;
  timings: S2dtwBenchTiming[];
  /** reference median / kernel median. */
  kernelSpeedup: number;
  /** reference median / TF.js op median. */
  opSpeedup: number;
  /** Largest |difference| between kernel and reference similarities (sanity). */
  maxValueDiff: number;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Times the cases interleaved, one call of each per round, so machine load hits them alike. */
function timeInterleaved(
  cases: Array<{ name: string; fn: () => void }>,
  warmup: number,
  iterations: number,
): S2dtwBenchTiming[] {
  for (let k = 0; k < warmup; k++) for (const c of cases) c.fn();
  const samples = cases.map(() => [] as number[]);
  for (let k = 0; k < iterations; k++) {
    cases.forEach((c, i) => {
      const t0 = performance.now();
      c.fn();
      samples[i].push(performance.now() - t0);
    });
  }
  return cases.map((c, i) => {
    const sorted = samples[i].sort((a, b) => a - b);
    return { name: c.name, medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9) };
  });
}

export async function runS2dtwBench(opts: S2dtwBenchOptions = {}): Promise<S2dtwBenchResult> {
  const batch = opts.batch ?? 64;
  const n = opts.clips ?? 8;
  const warmup = opts.warmup ?? 5;
  const iterations = opts.iterations ?? 30;
  const log = opts.log ?? ((line: string) => console.log(line));
  if (opts.backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (opts.backend) await tf.setBackend(opts.backend);
  await tf.ready();
  const rng = new Rng(opts.seed ?? 1);
  // Cosine-like similarities in [-1, 1].
  const flat = new Float32Array(batch * n * n).map(() => Math.tanh(rng.normal() * 0.5));
  const pairs: Matrix[] = Array.from({ length: batch }, (_, p) =>
    Array.from({ length: n }, (_, i) => Array.from(flat.subarray(p * n * n + i * n, p * n * n + (i + 1) * n))),
  );
  const dy = new Float32Array(batch).fill(1);
  const o = DEFAULT_S2DTW_OPTIONS;

  let refValues: number[] = [];
  let kernelValues: ArrayLike<number> = [];
  const z = tf.tensor3d(flat, [batch, n, n]);
  const gradOf = tf.grad((zz: tf.Tensor) => tf.sum(s2dtwSimilarity(zz, o)) as tf.Scalar);
  const [reference, kernel, op] = timeInterleaved(
    [
      {
        name: 'JS loop reference (per pair, float64)',
        fn: () => {
          refValues = pairs.map((zp) => s2dtwReference(zp, o).similarity);
        },
      },
      {
        name: 'batched kernel',
        fn: () => {
          const { similarity, state } = s2dtwForwardBatch(flat, batch, n, n, o);
          s2dtwBackwardBatch(state, dy);
          kernelValues = similarity;
        },
      },
      {
        name: `TF.js op + tf.grad (${tf.getBackend()})`,
        fn: () => {
          const g = gradOf(z);
          g.dataSync();
          g.dispose();
        },
      },
    ],
    warmup,
    iterations,
  );
  z.dispose();

  const maxValueDiff = refValues.reduce((mx, v, k) => Math.max(mx, Math.abs(v - kernelValues[k])), 0);
  const result: S2dtwBenchResult = {
    batch,
    clips: n,
    backend: tf.getBackend(),
    node: process.version,
    cpus: cpus().length,
    timings: [reference, kernel, op],
    kernelSpeedup: reference.medianMs / kernel.medianMs,
    opSpeedup: reference.medianMs / op.medianMs,
    maxValueDiff,
  };
  log(
    `s2dtw forward+backward: ${batch} pairs, ${n}×${n} (grid ${2 * n + 1}×${2 * n + 1}), node ${result.node}, ${result.cpus} CPUs, backend ${result.backend}`,
  );
  for (const t of result.timings)
    log(`  ${t.name.padEnd(40)} median ${t.medianMs.toFixed(3)} ms  p90 ${t.p90Ms.toFixed(3)} ms`);
  log(
    `  speed-up vs reference: kernel ${result.kernelSpeedup.toFixed(1)}×, TF.js op ${result.opSpeedup.toFixed(1)}×  (max |Δs| ${maxValueDiff.toExponential(1)})`,
  );
  return result;
}
