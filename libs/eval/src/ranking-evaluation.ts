import { InvalidInputError } from '@tessera/common';
import {
  firstRelevantRank,
  hitRateAtK,
  median,
  ndcgAtK,
  precisionAtK,
  recallAtK,
  reciprocalRank,
  RecallOptions,
} from './ranking-metrics';

/** One user's ranked list (best first, ideally the full candidate list) and relevant set. */
export interface UserRanking<T = number> {
  /** Best first; may be cut at max(ks) when `firstRank` is given. */
  ranked: readonly T[];
  relevant: ReadonlySet<T>;
  /**
   * 1-based rank of the first relevant item in the full candidate list, when
   * `ranked` is truncated (used for `mrr` and `medianRank`).
   */
  firstRank?: number;
}

export interface RankingEvalOptions extends RecallOptions {
  ks: readonly number[];
}

/** Metric name → macro-average over users. Names: `recall@K`, `ndcg@K`, `hit@K`, `precision@K`, `mrr`, `medianRank`. */
export type MetricTable = Record<string, number>;

/**
 * Macro-average ranking metrics over users (each user weighs the same). Users
 * with no relevant items are left out, as in the cold-start protocol.
 * `medianRank` is the median over users of the first relevant item's rank
 * (users whose relevant items are not in `ranked` count as ranked.length + 1).
 */
export function evaluateRankings<T>(
  users: Iterable<UserRanking<T>>,
  options: RankingEvalOptions,
): MetricTable & { users: number } {
  if (options.ks.length === 0) throw new InvalidInputError('ks must not be empty');
  const sums: Record<string, number> = {};
  const add = (name: string, v: number) => (sums[name] = (sums[name] ?? 0) + v);
  const firstRanks: number[] = [];
  let n = 0;
  for (const { ranked, relevant, firstRank } of users) {
    if (relevant.size === 0) continue;
    n++;
    for (const k of options.ks) {
      add(`recall@${k}`, recallAtK(ranked, relevant, k, options));
      add(`ndcg@${k}`, ndcgAtK(ranked, relevant, k));
      add(`hit@${k}`, hitRateAtK(ranked, relevant, k));
      add(`precision@${k}`, precisionAtK(ranked, relevant, k));
    }
    if (firstRank !== undefined) {
      add('mrr', 1 / firstRank);
      firstRanks.push(firstRank);
    } else {
      add('mrr', reciprocalRank(ranked, relevant));
      firstRanks.push(firstRelevantRank(ranked, relevant) ?? ranked.length + 1);
    }
  }
  const out: MetricTable = {};
  for (const [name, total] of Object.entries(sums)) out[name] = n === 0 ? 0 : total / n;
  out.medianRank = median(firstRanks);
  return Object.assign(out, { users: n });
}
