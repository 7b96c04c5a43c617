import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';

export interface MilNceOptions {
  /** Captions within this many positions of a clip (same video) are its positive candidates. */
  window: number;
  /** Logits are dot products divided by this. */
  temperature: number;
}

export const DEFAULT_MIL_NCE_OPTIONS: Readonly<MilNceOptions> = Object.freeze({ window: 1, temperature: 0.1 });

/**
 * MIL-NCE baseline (spec section 5, after MIL-NCE's loss.py): each clip has K = 2w+1 candidate captions
 * (positions i−w..i+w of its own video, clamped at the ends); x[i, j, k] = v_i·t_{j,k} / τ;
 * L = mean_i [LSE({x[i,j,k]} ∪ {x[j,i,k]}) − LSE_k x[i,i,k]]. No temporal alignment.
 * V: (b, n, d) clips, T: (b, n, d) captions (clip i's timestamp caption is caption i).
 */
export function milNceLoss(v: tf.Tensor, t: tf.Tensor, options: Partial<MilNceOptions> = {}): tf.Scalar {
  const o = { ...DEFAULT_MIL_NCE_OPTIONS, ...options };
  if (!Number.isInteger(o.window) || o.window < 0)
    throw new InvalidInputError(`MIL-NCE window must be an integer ≥ 0, got ${o.window}`);
  if (!(o.temperature > 0)) throw new InvalidInputError(`MIL-NCE temperature must be positive, got ${o.temperature}`);
  if (v.rank !== 3 || t.rank !== 3 || v.shape.some((s, k) => s !== t.shape[k])) {
    throw new DimensionMismatchError(
      `MIL-NCE needs V and T of equal shape (b, n, d), got [${v.shape}] and [${t.shape}]`,
    );
  }
  const [b, n, d] = v.shape as [number, number, number];
  const count = b * n;
  const k = 2 * o.window + 1;
  // Candidate selection as a 0/1 matrix (a matmul, whose gradient every backend has, instead of gather).
  const select = new Float32Array(count * k * count);
  for (let s = 0; s < b; s++) {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const pos = Math.min(n - 1, Math.max(0, i - o.window + c));
        select[((s * n + i) * k + c) * count + s * n + pos] = 1;
      }
    }
  }
  return tf.tidy(() => {
    const clips = tf.reshape(v, [count, d]);
    const candidates = tf.matMul(tf.tensor2d(select, [count * k, count]), tf.reshape(t, [count, d]));
    const x = tf.reshape(tf.div(tf.matMul(clips, candidates, false, true), o.temperature), [count, count, k]);
    const eye = tf.reshape(tf.eye(count), [count, count, 1]);
    const positives = tf.logSumExp(tf.sum(tf.mul(x, eye), 1), 1);
    const both = tf.concat(
      [tf.reshape(x, [count, count * k]), tf.reshape(tf.transpose(x, [1, 0, 2]), [count, count * k])],
      1,
    );
    return tf.mean(tf.sub(tf.logSumExp(both, 1), positives)) as tf.Scalar;
  });
}

/** The same loss in float64 plain JS, for tests. */
export function milNceLossReference(v: number[][][], t: number[][][], options: Partial<MilNceOptions> = {}): number {
  const o = { ...DEFAULT_MIL_NCE_OPTIONS, ...options };
  const clips = v.flat();
  const n = v[0].length;
  const caps = t.flat();
  const k = 2 * o.window + 1;
  const cand = (idx: number, c: number): number[] => {
    const s = Math.floor(idx / n);
    const i = idx % n;
    return caps[s * n + Math.min(n - 1, Math.max(0, i - o.window + c))];
  };
  const dot = (a: number[], b: number[]): number => a.reduce((acc, x, q) => acc + x * b[q], 0);
  const lse = (xs: number[]): number => {
    const mx = Math.max(...xs);
    return mx + Math.log(xs.reduce((acc, x) => acc + Math.exp(x - mx), 0));
  };
  const x = (i: number, j: number, c: number): number => dot(clips[i], cand(j, c)) / o.temperature;
  let total = 0;
  for (let i = 0; i < clips.length; i++) {
    const den: number[] = [];
    for (let j = 0; j < clips.length; j++) for (let c = 0; c < k; c++) den.push(x(i, j, c), x(j, i, c));
    const num = Array.from({ length: k }, (_, c) => x(i, i, c));
    total += lse(den) - lse(num);
  }
  return total / clips.length;
}
