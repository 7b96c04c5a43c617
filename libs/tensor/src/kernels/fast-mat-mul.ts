import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError } from '@tessera/common';

/**
 * `x[..., k] @ w[k, n]` as one 2-D product, with a gradient written with explicit
 * transposes (dx = dy · wᵀ, dw = xᵀ · dy). The stock gradient passes transpose flags, which
 * wasm runs about 10x slower; this form is fast on every backend, with or without the
 * runtime's kernel fixes.
 */
export function fastMatMul(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  const k = x.shape[x.shape.length - 1];
  if (w.rank !== 2 || w.shape[0] !== k) {
    throw new DimensionMismatchError(`fastMatMul: x[..., ${k}] cannot multiply w[${w.shape.join(', ')}]`, {
      x: x.shape,
      w: w.shape,
    });
  }
  const outShape = [...x.shape.slice(0, -1), w.shape[1]];
  const body = (xIn: tf.Tensor, wIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const x2 = tf.reshape(xIn, [-1, k]) as tf.Tensor2D;
    save([x2, wIn]);
    const value = tf.reshape(tf.matMul(x2, wIn as tf.Tensor2D), outShape);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = tf.reshape(dy, [-1, ws.shape[1]]) as tf.Tensor2D;
      const dx = tf.reshape(tf.matMul(dy2, tf.transpose(ws)), xIn.shape);
      const dw = tf.matMul(tf.transpose(xs), dy2);
      return [dx, dw];
    };
    return { value, gradFunc };
  };
  const op = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, w);
}
