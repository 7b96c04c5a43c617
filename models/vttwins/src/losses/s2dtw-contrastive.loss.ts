import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { S2dtwOptions } from '../s2dtw/s2dtw-options';
import { s2dtwSimilarity } from '../s2dtw/s2dtw.op';

/**
 * neg[i, j] = s(V_j, T_i) for every text sequence i and video sequence j of a batch (spec section 5).
 * V: (b, n, d) clip embeddings, T: (b, m, d) sentence embeddings, both already L2-normalised by the
 * caller. All b² S2DTW problems run as one batched op.
 */
export function s2dtwPairSimilarities(v: tf.Tensor, t: tf.Tensor, options: Partial<S2dtwOptions> = {}): tf.Tensor2D {
  const b = v.shape[0];
  return tf.tidy(() => tf.reshape(s2dtwSimilarity(s2dtwPairMatrices(v, t), options), [b, b]) as tf.Tensor2D);
}

/**
 * The b² similarity matrices Z (b·b, n, m) that s2dtwPairSimilarities feeds to S2DTW: pair (text i,
 * video j) at index i·b + j, rows clips, columns sentences. Exposed for the asynchronous step, which runs
 * the S2DTW recursion on the host between two device passes.
 */
export function s2dtwPairMatrices(v: tf.Tensor, t: tf.Tensor): tf.Tensor3D {
  if (v.rank !== 3 || t.rank !== 3) {
    throw new InvalidInputError(`V and T must be (b, n, d) tensors, got [${v.shape}] and [${t.shape}]`);
  }
  const [b, n, d] = v.shape as [number, number, number];
  const [bt, m, dt] = t.shape as [number, number, number];
  if (b !== bt || d !== dt) throw new DimensionMismatchError(`V is [${v.shape}] but T is [${t.shape}]`);
  return tf.tidy(() => {
    // One matmul gives every clip-sentence similarity; rows (video j, clip k), columns (text i, sentence l).
    const all = tf.matMul(tf.reshape(v, [b * n, d]), tf.reshape(t, [b * m, d]), false, true);
    return tf.reshape(tf.transpose(tf.reshape(all, [b, n, b, m]), [2, 0, 1, 3]), [b * b, n, m]) as tf.Tensor3D;
  });
}

/** InfoNCE over a similarity matrix neg (rows text sequences, columns video sequences, positives on the diagonal). */
export function sequenceInfoNceLoss(neg: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const b = neg.shape[0];
    if (neg.shape[1] !== b) throw new DimensionMismatchError(`similarity matrix must be square, got [${neg.shape}]`);
    const pos = tf.sum(tf.mul(neg, tf.eye(b)), 1);
    return tf.mean(tf.sub(tf.logSumExp(neg, 1), pos)) as tf.Scalar;
  });
}

/**
 * The VT-TWINS loss: L = (1/b) Σ_i [log Σ_j exp(s(V_j, T_i)) − s(V_i, T_i)], text → video only, τ = 1.
 * With `PLAIN_SOFT_DTW_OPTIONS` it is the soft-DTW baseline (no smoothing, no skips).
 */
export function s2dtwContrastiveLoss(v: tf.Tensor, t: tf.Tensor, options: Partial<S2dtwOptions> = {}): tf.Scalar {
  return tf.tidy(() => sequenceInfoNceLoss(s2dtwPairSimilarities(v, t, options)));
}
