import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError } from '@tessera/common';

/** Label value that marks a position as not scored (prompt, padding), as in HF/TRL. */
export const IGNORE_INDEX = -100;

export interface SequenceLogProbOptions {
  /**
   * Decoder-only models predict token t+1 at position t, so logits[:, :-1] are scored against
   * labels[:, 1:] (default true). Encoder–decoder models pass false.
   */
  shift?: boolean;
  /** Average over the scored tokens instead of summing them (default false: the sum, as TRL's default). */
  average?: boolean;
}

/**
 * Per-sequence log-probability log π(y|x) = Σ_t log softmax(logits_t)[label_t] over positions whose
 * label is not −100. logits [B, T, V], labels [B, T] (int32). Returns [B]; a row with no scored token gives 0.
 */
export function sequenceLogProb(
  logits: tf.Tensor3D,
  labels: tf.Tensor2D,
  options: SequenceLogProbOptions = {},
): tf.Tensor1D {
  const [b, t, v] = logits.shape;
  if (labels.shape[0] !== b || labels.shape[1] !== t) {
    throw new DimensionMismatchError(`labels ${labels.shape.join('x')} do not match logits ${b}x${t}`);
  }
  const shift = options.shift ?? true;
  return tf.tidy(() => {
    const lg = shift ? tf.slice(logits, [0, 0, 0], [b, t - 1, v]) : logits;
    const lb = shift ? tf.slice(labels, [0, 1], [b, t - 1]) : labels;
    const mask = tf.cast(tf.notEqual(lb, IGNORE_INDEX), 'float32');
    const safe = tf.cast(tf.maximum(lb, 0), 'int32');
    const logp = tf.logSoftmax(lg);
    // Pick log p[label] with a one-hot product: gather's gradient is missing on the wasm backend.
    const picked = tf.sum(tf.mul(logp, tf.oneHot(safe, v)), -1);
    const total = tf.sum(tf.mul(picked, mask), -1);
    if (!options.average) return total as tf.Tensor1D;
    return tf.div(total, tf.maximum(tf.sum(mask, -1), 1)) as tf.Tensor1D;
  });
}

/** Per-token log-probs [B, T'] (T' = T − 1 when shifted), zero where the label is −100. */
export function tokenLogProbs(logits: tf.Tensor3D, labels: tf.Tensor2D, shift = true): tf.Tensor2D {
  const [b, t, v] = logits.shape;
  return tf.tidy(() => {
    const lg = shift ? tf.slice(logits, [0, 0, 0], [b, t - 1, v]) : logits;
    const lb = shift ? tf.slice(labels, [0, 1], [b, t - 1]) : labels;
    const mask = tf.cast(tf.notEqual(lb, IGNORE_INDEX), 'float32');
    const picked = tf.sum(tf.mul(tf.logSoftmax(lg), tf.oneHot(tf.cast(tf.maximum(lb, 0), 'int32'), v)), -1);
    return tf.mul(picked, mask) as tf.Tensor2D;
  });
}
