import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../layers/param-store';

/**
 * trainStepAsync with the gradients in hand (for clipping or logging their norm): uses
 * tf.variableGrads, clips by global norm when `clipNorm` is set, then applies them. Loss and norm
 * are read with `await data()` after the update, so it runs on any backend.
 */
export async function trainStepWithGrads(
  optimizer: tf.Optimizer,
  store: ParamStore,
  loss: () => tf.Scalar,
  opts: { clipNorm?: number } = {},
): Promise<{ loss: number; gradNorm: number }> {
  const [value, norm] = tf.tidy(() => {
    const { value: l, grads } = tf.variableGrads(loss, store.trainable());
    const list = Object.values(grads);
    const gradNorm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
    let applied: tf.NamedTensorMap = grads;
    if (opts.clipNorm !== undefined) {
      const scale = tf.minimum(1, tf.div(opts.clipNorm, tf.add(gradNorm, 1e-12)));
      applied = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
    }
    optimizer.applyGradients(applied);
    return [l, gradNorm];
  });
  try {
    return { loss: (await value.data())[0], gradNorm: (await norm.data())[0] };
  } finally {
    tf.dispose([value, norm]);
  }
}

/**
 * One optimisation step: loss, gradients and update inside a single tidy, so nothing but the
 * variables and optimiser slots survive. Returns the loss as a number, read after the update with
 * `await data()` (one small download per step), as WebGPU requires (it has no synchronous download).
 *
 *   const opt = tf.train.adam(1e-3);
 *   const loss = await trainStepAsync(opt, store, () => lossOf(model.apply(ids, { training: true, seed: step })));
 */
export async function trainStepAsync(
  optimizer: tf.Optimizer,
  store: ParamStore,
  loss: () => tf.Scalar,
): Promise<number> {
  const value = tf.tidy(() => optimizer.minimize(loss, true, store.trainable()) as tf.Scalar);
  try {
    return (await value.data())[0];
  } finally {
    value.dispose();
  }
}
