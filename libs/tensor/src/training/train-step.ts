import * as tf from '@tensorflow/tfjs';
import type { ParamStore } from '../layers/param-store';

/**
 * One optimisation step: loss, gradients and update inside a single tidy, so nothing but the
 * variables and optimiser slots survive. Returns the loss as a number (read after the
 * update; one small download per step).
 *
 *   const opt = tf.train.adam(1e-3);
 *   const loss = trainStep(opt, store, () => lossOf(model.apply(batch.ids, { training: true, seed: step })));
 */
export function trainStep(optimizer: tf.Optimizer, store: ParamStore, loss: () => tf.Scalar): number {
  const value = tf.tidy(() => optimizer.minimize(loss, true, store.trainable()) as tf.Scalar);
  const v = value.dataSync()[0];
  value.dispose();
  return v;
}

/**
 * The same step with the gradients in hand (for clipping or logging their norm): uses
 * tf.variableGrads, clips by global norm when `clipNorm` is set, then applies them.
 */
export function trainStepWithGrads(
  optimizer: tf.Optimizer,
  store: ParamStore,
  loss: () => tf.Scalar,
  opts: { clipNorm?: number } = {},
): { loss: number; gradNorm: number } {
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
  const out = { loss: value.dataSync()[0], gradNorm: norm.dataSync()[0] };
  tf.dispose([value, norm]);
  return out;
}

/**
 * trainStep for any backend: the loss is read with `await data()`, as WebGPU (and any GPU
 * backend without a synchronous download) requires. Same update, same tidy as trainStep.
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
