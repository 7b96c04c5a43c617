import * as tf from '@tensorflow/tfjs';
import { checkRankingBatch, checkTemperature, rowsOfPairs, selectionMatrix } from './ranking-batch-checks';
import {
  DEFAULT_RANKING_TEMPERATURE,
  type RankingBatch,
  type RankingLossOutput,
  type TemperatureOptions,
} from './ranking-loss.types';

/** Added to excluded logits; vanishes after exp, safe in float32. */
const EXCLUDED = -1e9;

export interface SampledSoftmaxOptions extends TemperatureOptions {
  /**
   * Which items the denominator sums over for a pair (u, i+):
   * - 'keep-positive' (default, the project choice of spec §2): {i+} ∪ (B \ N(u)) — the user's
   *   other positives are dropped, the positive stays, so the loss is a proper cross-entropy ≥ 0;
   * - 'literal': B \ N(u), the formula read literally (i+ excluded too); it can go negative.
   */
  denominator?: 'keep-positive' | 'literal';
}

/**
 * Rating ranking loss as a batch sampled softmax (CGRC-style, spec §2/§3.2):
 * L = −(1/|P|) Σ_(u,i+) [ s(u,i+)/τ − log Σ_{j ∈ D(u,i+)} exp(s(u,j)/τ) ],
 * D(u,i+) = {i+} ∪ (B \ N(u)) by default. B equal logits with no interactions give ln B.
 */
export function sampledSoftmaxRankingLoss(batch: RankingBatch, options: SampledSoftmaxOptions = {}): RankingLossOutput {
  const tau = checkTemperature(options.temperature ?? DEFAULT_RANKING_TEMPERATURE);
  const keepPositive = (options.denominator ?? 'keep-positive') === 'keep-positive';
  const [, nI, p] = checkRankingBatch(batch);
  // Additive mask per pair: drop every interacted item except (by default) the pair's own positive.
  const bias = new Float32Array(p * nI);
  for (let k = 0; k < p; k++) {
    const rowU = batch.posUser[k] * nI;
    for (let j = 0; j < nI; j++) if (batch.interacted[rowU + j]) bias[k * nI + j] = EXCLUDED;
    if (keepPositive) bias[k * nI + batch.posItem[k]] = 0;
  }
  return tf.tidy(() => {
    const logits = tf.div(rowsOfPairs(batch.scores, batch.posUser), tau) as tf.Tensor2D;
    const target = selectionMatrix(batch.posItem, nI);
    const positive = tf.sum(tf.mul(logits, target), 1);
    const logDenominator = tf.logSumExp(tf.add(logits, tf.tensor2d(bias, [p, nI])), 1);
    const losses = tf.sub(logDenominator, positive) as tf.Tensor1D;
    return { loss: tf.mean(losses) as tf.Scalar, losses };
  });
}
