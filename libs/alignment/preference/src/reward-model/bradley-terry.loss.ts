import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import { negLogSigmoid } from '../losses/loss-inputs';

export interface BradleyTerryLossOutput {
  /** Mean over pairs. */
  loss: tf.Scalar;
  /** Per pair: −log σ(r_w − r_l). */
  losses: tf.Tensor1D;
}

/**
 * Bradley–Terry pairwise loss of a reward model: L = −log σ(r_w − r_l), averaged over pairs.
 * Equal rewards give ln 2; the gradient with respect to r_w is −σ(r_l − r_w) / n.
 */
export function bradleyTerryLoss(chosen: tf.Tensor1D, rejected: tf.Tensor1D): BradleyTerryLossOutput {
  if (chosen.rank !== 1 || rejected.rank !== 1) throw new InvalidInputError('reward tensors must be 1-D');
  if (chosen.shape[0] !== rejected.shape[0]) {
    throw new DimensionMismatchError(`${chosen.shape[0]} chosen rewards vs ${rejected.shape[0]} rejected`);
  }
  if (chosen.shape[0] === 0) throw new InvalidInputError('empty reward batch');
  return tf.tidy(() => {
    const losses = negLogSigmoid(tf.sub(chosen, rejected)) as tf.Tensor1D;
    return { loss: tf.mean(losses) as tf.Scalar, losses };
  });
}
