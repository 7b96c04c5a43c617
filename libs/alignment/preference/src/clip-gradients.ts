import * as tf from '@tensorflow/tfjs';

/**
 * Global-norm clipping. Returns the clipped gradients and the norm before clipping; a non-finite norm means the
 * step must not be applied. The norm is read with `await data()`, so it works on WebGPU (no synchronous download).
 */
export async function clipByGlobalNormAsync(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): Promise<{ grads: tf.NamedTensorMap; norm: number }> {
  const names = Object.keys(grads);
  const squared = tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
  let norm: number;
  try {
    norm = Math.sqrt((await squared.data())[0]);
  } finally {
    squared.dispose();
  }
  if (!(maxNorm > 0) || !Number.isFinite(norm) || norm <= maxNorm) return { grads, norm };
  const scale = maxNorm / norm;
  const clipped: tf.NamedTensorMap = {};
  for (const n of names) clipped[n] = tf.mul(grads[n], scale);
  tf.dispose(Object.values(grads));
  return { grads: clipped, norm };
}
