export * from './ranking-loss.types';
export * from './ranking-batch-checks';
export * from './sampled-softmax-ranking.loss';
export * from './pairwise-rating-order.loss';
export * from './infonce-alignment.loss';
export * from './ranking-losses';
