import * as tf from '@tensorflow/tfjs';
import type { KernelFix } from './kernel-fix';

const sizeOf = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

/** Sums a gradient computed at the broadcast shape back down to the input's shape. */
function reduceTo(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  let r = g;
  const extra = r.rank - shape.length;
  if (extra > 0)
    r = tf.sum(
      r,
      Array.from({ length: extra }, (_, i) => i),
    );
  const axes: number[] = [];
  for (let i = 0; i < shape.length - 2; i++) if (shape[i] === 1 && r.shape[i] !== 1) axes.push(i);
  if (axes.length) r = tf.sum(r, axes, true);
  return tf.reshape(r, shape);
}

/**
 * BatchMatMul gradient that handles broadcasting. The stock one returns a [B, k, n]
 * gradient for `x[B, m, k] @ w[k, n]` and the tape rejects it, so `tf.matMul(x3d, w2d)` is
 * not trainable in TF.js 4.22 on any backend. Shared weights are handled as one 2-D product
 * over all rows; other broadcasts sum the batched gradient down.
 */
function batchMatMulGrad(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [a, b] = saved;
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const bBatch = sizeOf(b.shape.slice(0, -2));
  if (bBatch === 1 && !transposeA) {
    const k = a.shape[a.rank - 1];
    const n = dy.shape[dy.rank - 1];
    const b2 = tf.reshape(b, [b.shape[b.rank - 2], b.shape[b.rank - 1]]) as tf.Tensor2D;
    const a2 = (): tf.Tensor2D => tf.reshape(a, [-1, k]) as tf.Tensor2D;
    const dy2 = (): tf.Tensor2D => tf.reshape(dy, [-1, n]) as tf.Tensor2D;
    return {
      a: () => tf.reshape(tf.matMul(dy2(), b2, false, !transposeB), a.shape),
      b: () =>
        tf.reshape(transposeB ? tf.matMul(dy2(), a2(), true, false) : tf.matMul(a2(), dy2(), true, false), b.shape),
    };
  }
  const grads: [() => tf.Tensor, () => tf.Tensor] =
    !transposeA && !transposeB
      ? [() => tf.matMul(dy, b, false, true), () => tf.matMul(a, dy, true, false)]
      : !transposeA && transposeB
        ? [() => tf.matMul(dy, b, false, false), () => tf.matMul(dy, a, true, false)]
        : transposeA && !transposeB
          ? [() => tf.matMul(b, dy, false, true), () => tf.matMul(a, dy, false, false)]
          : [() => tf.matMul(b, dy, true, true), () => tf.matMul(dy, a, true, true)];
  return { a: () => reduceTo(grads[0](), a.shape), b: () => reduceTo(grads[1](), b.shape) };
}

export const batchMatMulBroadcastGradientFix: KernelFix = {
  name: 'BatchMatMul-broadcast-gradient',
  backends: 'all',
  install() {
    const original = tf.getGradient('BatchMatMul');
    tf.registerGradient({ kernelName: 'BatchMatMul', inputsToSave: ['a', 'b'], gradFunc: batchMatMulGrad as never });
    return () => {
      if (original) tf.registerGradient(original);
    };
  },
};
