import type { BetaOptions, UnpairedLogProbs, UnpairedLossOutput } from './preference-loss.types';
import { bcoLoss } from './bco.loss';

/**
 * BCE: BCO without the reward shift (δ = 0). An upper bound of the DPO loss on paired data.
 */
export function bceLoss(batch: UnpairedLogProbs, options: BetaOptions = {}): UnpairedLossOutput {
  return bcoLoss(batch, { ...options, delta: 0 });
}
