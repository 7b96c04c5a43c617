import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError } from '@tessera/common';

/**
 * Mean cross-entropy of logits [N, V] against integer labels [N]:
 * mean(logsumexp(z) − z[label]). The stock softmaxCrossEntropy needs one-hot float labels
 * and runs exp three times over [N, V]; here the forward is one softmax kernel and the
 * gradient is (softmax − onehot) / N. log Z comes from the softmax itself:
 * log Z − max z = −log(max softmax), and max softmax ≥ 1/V, so it never underflows.
 * Labels outside [0, V) are an error (checked on the host only when `validate` is set).
 */
export function sparseSoftmaxCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  opts: { validate?: boolean } = {},
): tf.Scalar {
  const [n, v] = logits.shape;
  if (labels.shape[0] !== n) {
    throw new DimensionMismatchError(`labels [${labels.shape}] do not match logits [${logits.shape}]`, {
      logits: logits.shape,
      labels: labels.shape,
    });
  }
  if (opts.validate) {
    const ids = labels.dataSync();
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < v)) {
        throw new DimensionMismatchError(`label ${ids[i]} at row ${i} is outside the vocabulary of ${v}`, {
          row: i,
          label: ids[i],
          vocab: v,
        });
      }
    }
  }
  const body = (z: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), v, 1, 0, 'float32');
    const p = tf.softmax(z, -1);
    const zMax = tf.max(z, -1);
    const zTarget = tf.sum(tf.mul(z, oneHot), -1);
    const logZ = tf.sub(zMax, tf.log(tf.max(p, -1)));
    const value = tf.mean(tf.sub(logZ, zTarget)) as tf.Scalar;
    save([p, oneHot]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [ps, oh] = saved;
      return [tf.mul(tf.sub(ps, oh), tf.div(dy, n))];
    };
    return { value, gradFunc };
  };
  const op = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(logits) as tf.Scalar;
}
