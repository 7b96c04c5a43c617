import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import { IGNORE_INDEX } from '../sequence-log-prob';

/** Which hidden states feed the scalar head: the last completion token's, or the mean over completion tokens. */
export type RewardPooling = 'last' | 'mean';

/**
 * Pooling weights [B, T] from completion labels (−100 on BOS, prompt and padding). `last` puts 1 on the last
 * scored position (EOS, or the last kept token of a cut completion), which under causal attention has seen the
 * whole row; `mean` spreads 1/n over the n scored positions. A row with no scored position reads position 0
 * (BOS), so it still gets a defined reward.
 */
export function poolingWeights(
  labels: ArrayLike<number>,
  batch: number,
  width: number,
  pooling: RewardPooling,
): tf.Tensor2D {
  if (labels.length !== batch * width) {
    throw new DimensionMismatchError(`labels hold ${labels.length} values, expected ${batch}x${width}`);
  }
  const w = new Float32Array(batch * width);
  for (let r = 0; r < batch; r++) {
    let last = -1;
    let count = 0;
    for (let j = 0; j < width; j++) {
      if (labels[r * width + j] !== IGNORE_INDEX) {
        last = j;
        count++;
      }
    }
    if (last < 0) w[r * width] = 1;
    else if (pooling === 'last') w[r * width + last] = 1;
    else for (let j = 0; j < width; j++) if (labels[r * width + j] !== IGNORE_INDEX) w[r * width + j] = 1 / count;
  }
  return tf.tensor2d(w, [batch, width]);
}

/**
 * The Bradley–Terry head: r_i = (Σ_t weights[i,t] · hidden[i,t,:]) · w + b. hidden [B, T, d], weights [B, T],
 * w [d, 1], b [1]. Returns [B]. Pure, so its gradient can be checked in isolation.
 */
export function pooledReward(hidden: tf.Tensor3D, weights: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor1D {
  const [n, t, d] = hidden.shape;
  if (weights.shape[0] !== n || weights.shape[1] !== t) {
    throw new DimensionMismatchError(`pooling weights ${weights.shape.join('x')} do not match hidden ${n}x${t}`);
  }
  if (w.shape[0] !== d || w.shape[1] !== 1)
    throw new DimensionMismatchError(`head ${w.shape.join('x')}, expected ${d}x1`);
  if (b.shape[0] !== 1) throw new InvalidInputError('head bias must have one value');
  return tf.tidy(() => {
    const pooled = tf.sum(tf.mul(hidden, tf.expandDims(weights, 2)), 1) as tf.Tensor2D;
    return tf.reshape(tf.add(tf.matMul(pooled, w), b), [n]) as tf.Tensor1D;
  });
}
