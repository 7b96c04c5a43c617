import * as tf from '@tensorflow/tfjs';
import { checkBeta, checkPaired } from './loss-inputs';
import { DEFAULT_BETA, type BetaOptions, type PairedLogProbs, type PairedLossOutput } from './preference-loss.types';

/**
 * IPO (Azar et al. 2023): L = (lr_w − lr_l − 1/(2β))². β here is IPO's τ; it regularises towards the
 * reference by fixing the target margin. Rewards are still reported as β·lr so metrics compare.
 */
export function dpoIpoLoss(batch: PairedLogProbs, options: BetaOptions = {}): PairedLossOutput {
  const beta = checkBeta(options.beta ?? DEFAULT_BETA);
  checkPaired(batch);
  return tf.tidy(() => {
    const lrW = tf.sub(batch.policyChosen, batch.referenceChosen);
    const lrL = tf.sub(batch.policyRejected, batch.referenceRejected);
    const losses = tf.square(tf.sub(tf.sub(lrW, lrL), 1 / (2 * beta))) as tf.Tensor1D;
    return {
      loss: tf.mean(losses) as tf.Scalar,
      losses,
      chosenRewards: tf.mul(beta, lrW) as tf.Tensor1D,
      rejectedRewards: tf.mul(beta, lrL) as tf.Tensor1D,
    };
  });
}
