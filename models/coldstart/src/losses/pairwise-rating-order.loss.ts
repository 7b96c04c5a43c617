import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import { checkRankingBatch, checkTemperature, rowsOfPairs, selectionMatrix } from './ranking-batch-checks';
import {
  DEFAULT_RANKING_TEMPERATURE,
  type RankingBatch,
  type RankingLossOutput,
  type TemperatureOptions,
} from './ranking-loss.types';

export interface PairwiseRatingOrderOptions extends TemperatureOptions {
  /**
   * Also order every rated pair above the batch items the user never interacted with (treated as
   * rated below everything). Default true: within one batch a user rarely has two rated items, so
   * without it most batches hold no pairs at all.
   */
  unratedBelow?: boolean;
}

/**
 * Which (pair k, item j) combinations form an ordered pair "k's item above j": row-major [P × I],
 * 1 where r(u,j) < r(u,i) (both rated by u) or, with `unratedBelow`, where u never interacted with j.
 */
export function ratingOrderPairMask(batch: RankingBatch, unratedBelow: boolean): Float32Array {
  const [, nI, p] = checkRankingBatch(batch);
  if (!batch.posRating) throw new InvalidInputError('the pairwise rating-order loss needs posRating');
  const mask = new Float32Array(p * nI);
  for (let k = 0; k < p; k++) {
    const rowU = batch.posUser[k] * nI;
    const r = batch.posRating[k];
    for (let j = 0; j < nI; j++) {
      if (j === batch.posItem[k]) continue;
      const rj = batch.ratings ? batch.ratings[rowU + j] : Number.NaN;
      if (batch.interacted[rowU + j]) {
        if (!Number.isNaN(rj) && rj < r) mask[k * nI + j] = 1;
      } else if (unratedBelow) {
        mask[k * nI + j] = 1;
      }
    }
  }
  return mask;
}

/**
 * Pairwise rating-order variant (spec §3.2): L = mean over ordered pairs (u, i, j), r_ui > r_uj, of
 * −log σ((s(u,i) − s(u,j))/τ). `losses` holds one entry per pair row k (the mean over its js; 0 where
 * k has no lower item). A score gap of 1 at τ = 0.5 gives −log σ(2) = 0.126928.
 */
export function pairwiseRatingOrderLoss(
  batch: RankingBatch,
  options: PairwiseRatingOrderOptions = {},
): RankingLossOutput {
  const tau = checkTemperature(options.temperature ?? DEFAULT_RANKING_TEMPERATURE);
  const mask = ratingOrderPairMask(batch, options.unratedBelow ?? true);
  const [, nI, p] = checkRankingBatch(batch);
  let pairs = 0;
  const perRow = new Float32Array(p);
  for (let k = 0; k < p; k++) {
    for (let j = 0; j < nI; j++) perRow[k] += mask[k * nI + j];
    pairs += perRow[k];
  }
  if (pairs === 0) throw new InvalidInputError('the batch holds no ordered pair (r_ui > r_uj) to learn from');
  return tf.tidy(() => {
    const rows = rowsOfPairs(batch.scores, batch.posUser);
    const target = selectionMatrix(batch.posItem, nI);
    const sPos = tf.sum(tf.mul(rows, target), 1, true);
    // −log σ(x) = softplus(−x).
    const terms = tf.mul(tf.softplus(tf.div(tf.sub(rows, sPos), tau)), tf.tensor2d(mask, [p, nI]));
    const rowSums = tf.sum(terms, 1);
    const losses = tf.div(rowSums, tf.maximum(tf.tensor1d(perRow), 1)) as tf.Tensor1D;
    return { loss: tf.div(tf.sum(rowSums), pairs) as tf.Scalar, losses };
  });
}
