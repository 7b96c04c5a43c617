import * as tf from '@tensorflow/tfjs';
import { checkBeta, checkPaired, negLogSigmoid } from './loss-inputs';
import { DEFAULT_BETA, type BetaOptions, type PairedLogProbs, type PairedLossOutput } from './preference-loss.types';

export interface DpoSigmoidOptions extends BetaOptions {
  /**
   * Conservative DPO: the probability ε that a label is flipped.
   * Loss = (1−ε)·(−log σ(βΔ)) + ε·(−log σ(−βΔ)). 0 gives plain DPO.
   */
  labelSmoothing?: number;
}

/**
 * DPO (Rafailov et al. 2023): L = −log σ(β·lr_w − β·lr_l), averaged over pairs.
 * Equal chosen and rejected log-ratios give ln 2.
 */
export function dpoSigmoidLoss(batch: PairedLogProbs, options: DpoSigmoidOptions = {}): PairedLossOutput {
  const beta = checkBeta(options.beta ?? DEFAULT_BETA);
  const eps = options.labelSmoothing ?? 0;
  checkPaired(batch);
  return tf.tidy(() => {
    const chosenRewards = tf.mul(beta, tf.sub(batch.policyChosen, batch.referenceChosen)) as tf.Tensor1D;
    const rejectedRewards = tf.mul(beta, tf.sub(batch.policyRejected, batch.referenceRejected)) as tf.Tensor1D;
    const margin = tf.sub(chosenRewards, rejectedRewards);
    let losses = negLogSigmoid(margin);
    if (eps > 0) losses = tf.add(tf.mul(1 - eps, losses), tf.mul(eps, negLogSigmoid(tf.neg(margin))));
    return {
      loss: tf.mean(losses) as tf.Scalar,
      losses: losses as tf.Tensor1D,
      chosenRewards,
      rejectedRewards,
    };
  });
}
