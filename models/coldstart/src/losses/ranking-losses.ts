import { pairwiseRatingOrderLoss } from './pairwise-rating-order.loss';
import type { RankingLossFn } from './ranking-loss.types';
import { sampledSoftmaxRankingLoss } from './sampled-softmax-ranking.loss';

/** Ranking losses by name; the trainer picks one from its config. */
export const rankingLosses = {
  'sampled-softmax': sampledSoftmaxRankingLoss as RankingLossFn,
  'pairwise-rating-order': pairwiseRatingOrderLoss as RankingLossFn,
} as const;
export type RankingLossName = keyof typeof rankingLosses;

export function isRankingLossName(name: string): name is RankingLossName {
  return Object.hasOwn(rankingLosses, name);
}
