import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import { checkBeta, checkUnpaired, negLogSigmoid } from './loss-inputs';
import {
  DEFAULT_BETA,
  type BetaOptions,
  type UnpairedLogProbs,
  type UnpairedLossOutput,
} from './preference-loss.types';

export interface BcoOptions extends BetaOptions {
  /** Reward shift δ (a running mean of rewards, detached). 0 gives plain BCE. */
  delta: number;
  /** UDM density ratio per row; applied to undesirable rows only (chosen rows keep weight 1). */
  udmWeights?: tf.Tensor1D;
}

/**
 * BCO (Jung et al. 2024): desirable −log σ(r − δ), undesirable −log σ(−(r − δ))·w_UDM(x), averaged over
 * the concatenated batch, with r = β·(log π_θ − log π_ref).
 */
export function bcoLoss(batch: UnpairedLogProbs, options: BcoOptions): UnpairedLossOutput {
  const beta = checkBeta(options.beta ?? DEFAULT_BETA);
  if (!Number.isFinite(options.delta)) throw new InvalidInputError(`BCO delta must be finite, got ${options.delta}`);
  checkUnpaired(batch, options.udmWeights);
  return tf.tidy(() => {
    const rewards = tf.mul(beta, tf.sub(batch.policy, batch.reference)) as tf.Tensor1D;
    const shifted = tf.sub(rewards, options.delta);
    const chosen = negLogSigmoid(shifted);
    let rejected = negLogSigmoid(tf.neg(shifted));
    if (options.udmWeights) rejected = tf.mul(rejected, options.udmWeights);
    const mask = batch.labels;
    const losses = tf.add(tf.mul(mask, chosen), tf.mul(tf.sub(1, mask), rejected)) as tf.Tensor1D;
    return { loss: tf.mean(losses) as tf.Scalar, losses, rewards };
  });
}
