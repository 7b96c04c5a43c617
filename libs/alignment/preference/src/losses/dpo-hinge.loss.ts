import * as tf from '@tensorflow/tfjs';
import { checkBeta, checkPaired } from './loss-inputs';
import { DEFAULT_BETA, type BetaOptions, type PairedLogProbs, type PairedLossOutput } from './preference-loss.types';

/**
 * Hinge variant (SLiC-style): L = max(0, 1 − β·(lr_w − lr_l)).
 * Equal log-ratios give exactly 1.
 */
export function dpoHingeLoss(batch: PairedLogProbs, options: BetaOptions = {}): PairedLossOutput {
  const beta = checkBeta(options.beta ?? DEFAULT_BETA);
  checkPaired(batch);
  return tf.tidy(() => {
    const chosenRewards = tf.mul(beta, tf.sub(batch.policyChosen, batch.referenceChosen)) as tf.Tensor1D;
    const rejectedRewards = tf.mul(beta, tf.sub(batch.policyRejected, batch.referenceRejected)) as tf.Tensor1D;
    const losses = tf.relu(tf.sub(1, tf.sub(chosenRewards, rejectedRewards))) as tf.Tensor1D;
    return { loss: tf.mean(losses) as tf.Scalar, losses, chosenRewards, rejectedRewards };
  });
}
