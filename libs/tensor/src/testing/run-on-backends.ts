import * as tf from '@tensorflow/tfjs';
import type { TfBackendChoice } from '@tessera/common';
import { type InitTensorBackendOptions, initTensorBackend } from '../backend/tensor-backend';

/**
 * Runs `fn` under each backend in turn and returns its plain-array results by backend name,
 * for wasm-versus-cpu comparisons. `fn` must build its tensors from plain data, and must
 * return plain arrays, not tensors (read with `await data()`: WebGPU has no synchronous download).
 */
export async function runOnBackends<T>(
  backends: TfBackendChoice[],
  fn: () => T | Promise<T>,
  opts: InitTensorBackendOptions = {},
): Promise<Record<string, T>> {
  const out: Record<string, T> = {};
  const previous = tf.getBackend();
  for (const b of backends) {
    const d = await initTensorBackend(b, opts);
    out[d.backend] = await fn();
  }
  if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  return out;
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
