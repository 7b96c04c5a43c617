import type * as tf from '@tensorflow/tfjs';

/**
 * One training batch as the ranking losses see it. Rows of `scores` are the batch's distinct users,
 * columns its item set B (the items of the batch's interactions plus sampled items).
 */
export interface RankingBatch {
  /** s(u, j) = <z_u, z_j> (or any other score) for every batch user × batch item: [nU, I]. */
  scores: tf.Tensor2D;
  /** The pairs to learn from: row (user) and column (item) index into `scores`, same length. */
  posUser: Int32Array;
  posItem: Int32Array;
  /** Explicit rating of each pair; the pairwise variant needs it, the sampled softmax ignores it. */
  posRating?: Float32Array;
  /**
   * Row-major [nU × I]: 1 where item j ∈ N(u), i.e. the user interacted with it at all (in any split
   * the trainer can see), 0 otherwise. Only `interacted` items are dropped from the softmax
   * denominator; only non-interacted items count as "unrated" in the pairwise variant.
   */
  interacted: Uint8Array;
  /** Row-major [nU × I]: the user's rating of item j, NaN where unknown (pairwise variant). */
  ratings?: Float32Array;
}

/** What a ranking loss returns; the caller owns (and disposes) both tensors. */
export interface RankingLossOutput {
  /** Scalar mean loss: the quantity to differentiate. */
  loss: tf.Scalar;
  /** Per-term loss: one entry per positive pair (softmax) or per positive's pair row (pairwise). */
  losses: tf.Tensor1D;
}

export interface TemperatureOptions {
  /** Score temperature τ: logits are s/τ. Default 0.5 (spec §3.2). */
  temperature?: number;
}

export const DEFAULT_RANKING_TEMPERATURE = 0.5;
export const DEFAULT_ALIGNMENT_TEMPERATURE = 0.07;

/** A ranking loss: the sampled softmax and the pairwise variant share this signature. */
export type RankingLossFn = (batch: RankingBatch, options?: TemperatureOptions) => RankingLossOutput;
