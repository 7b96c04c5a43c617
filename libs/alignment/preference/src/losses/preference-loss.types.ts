import type * as tf from '@tensorflow/tfjs';

/**
 * Summed per-sequence log-probabilities of a paired batch, one entry per prompt:
 * log π(y|x) of the chosen (y_w) and rejected (y_l) completions under the policy and the frozen reference.
 */
export interface PairedLogProbs {
  policyChosen: tf.Tensor1D;
  policyRejected: tf.Tensor1D;
  referenceChosen: tf.Tensor1D;
  referenceRejected: tf.Tensor1D;
}

/**
 * Unpaired (thumbs) batch: one completion per row with a 1 (desirable, 👍) or 0 (undesirable, 👎) label.
 */
export interface UnpairedLogProbs {
  policy: tf.Tensor1D;
  reference: tf.Tensor1D;
  /** 1 for desirable rows, 0 for undesirable rows (float32). */
  labels: tf.Tensor1D;
}

/** What a paired loss returns; the caller owns (and disposes) every tensor. */
export interface PairedLossOutput {
  /** Scalar mean loss: the quantity to differentiate. */
  loss: tf.Scalar;
  /** Per-pair loss. */
  losses: tf.Tensor1D;
  /** Implicit rewards β·(log π_θ − log π_ref) of the chosen and the rejected completions. */
  chosenRewards: tf.Tensor1D;
  rejectedRewards: tf.Tensor1D;
}

/** What an unpaired loss returns; the caller owns (and disposes) every tensor. */
export interface UnpairedLossOutput {
  loss: tf.Scalar;
  /** Per-row loss (already weighted). */
  losses: tf.Tensor1D;
  /** Implicit reward β·(log π_θ − log π_ref) per row (before any shift). */
  rewards: tf.Tensor1D;
}

export interface BetaOptions {
  /** Temperature of the implicit reward; TRL default 0.1. */
  beta?: number;
}

export const DEFAULT_BETA = 0.1;
