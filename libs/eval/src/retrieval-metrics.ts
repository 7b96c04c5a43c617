import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import { median } from './ranking-metrics';
import { rankOf } from './top-k';

export interface RetrievalMetrics {
  'R@1': number;
  'R@5': number;
  'R@10': number;
  medianRank: number;
  meanRank: number;
  queries: number;
}

/** R@1/5/10, median and mean rank from 1-based ranks of the gold candidate per query. */
export function retrievalMetricsFromRanks(ranks: readonly number[]): RetrievalMetrics {
  if (ranks.length === 0) throw new InvalidInputError('no queries to evaluate');
  const at = (k: number) => ranks.filter((r) => r <= k).length / ranks.length;
  return {
    'R@1': at(1),
    'R@5': at(5),
    'R@10': at(10),
    medianRank: median(ranks),
    meanRank: ranks.reduce((s, r) => s + r, 0) / ranks.length,
    queries: ranks.length,
  };
}

/**
 * Text→clip retrieval: `similarity` is row-major (queries × candidates) and
 * `gold[q]` the index of query q's correct candidate. Ties count against the gold.
 */
export function retrievalMetrics(
  similarity: Float32Array | Float64Array | number[],
  numQueries: number,
  numCandidates: number,
  gold: readonly number[],
): RetrievalMetrics {
  if (similarity.length !== numQueries * numCandidates) {
    throw new DimensionMismatchError(
      `similarity has ${similarity.length} entries, expected ${numQueries}×${numCandidates}`,
    );
  }
  if (gold.length !== numQueries)
    throw new DimensionMismatchError(`gold has ${gold.length} entries, expected ${numQueries}`);
  const ranks: number[] = [];
  for (let q = 0; q < numQueries; q++) {
    const g = gold[q];
    if (!Number.isInteger(g) || g < 0 || g >= numCandidates)
      throw new InvalidInputError(`gold[${q}] = ${g} out of range`);
    const row = Array.isArray(similarity)
      ? similarity.slice(q * numCandidates, (q + 1) * numCandidates)
      : similarity.subarray(q * numCandidates, (q + 1) * numCandidates);
    ranks.push(rankOf(row, g));
  }
  return retrievalMetricsFromRanks(ranks);
}
