import { InvalidInputError } from '@tessera/common';

export type RecallDenominator = 'minKRel' | 'rel';

export interface RecallOptions {
  /** `minKRel` (default): |topK ∩ Rel| / min(K, |Rel|); `rel`: / |Rel| as in some toolkits. */
  recallDenominator?: RecallDenominator;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`K must be a positive integer, got ${k}`);
}

function hitsInTopK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) hits++;
  return hits;
}

/** Recall@K for one user; 0 when nothing is relevant. */
export function recallAtK<T>(
  ranked: readonly T[],
  relevant: ReadonlySet<T>,
  k: number,
  options: RecallOptions = {},
): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  const denom = options.recallDenominator === 'rel' ? relevant.size : Math.min(k, relevant.size);
  return hitsInTopK(ranked, relevant, k) / denom;
}

export function precisionAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  return hitsInTopK(ranked, relevant, k) / k;
}

/** NDCG@K with binary relevance: DCG = Σ rel_k / log2(k+1), IDCG = the same for min(K, |Rel|) hits on top. */
export function ndcgAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  const ideal = Math.min(k, relevant.size);
  for (let i = 0; i < ideal; i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/** 1 when any relevant item is in the top K. */
export function hitRateAtK<T>(ranked: readonly T[], relevant: ReadonlySet<T>, k: number): number {
  checkK(k);
  return hitsInTopK(ranked, relevant, k) > 0 ? 1 : 0;
}

/** 1-based rank of the first relevant item; undefined when none is ranked. */
export function firstRelevantRank<T>(ranked: readonly T[], relevant: ReadonlySet<T>): number | undefined {
  for (let i = 0; i < ranked.length; i++) if (relevant.has(ranked[i])) return i + 1;
  return undefined;
}

/** Reciprocal rank of the first relevant item (0 when none is ranked). */
export function reciprocalRank<T>(ranked: readonly T[], relevant: ReadonlySet<T>): number {
  const r = firstRelevantRank(ranked, relevant);
  return r === undefined ? 0 : 1 / r;
}

/** Median of a list (mean of the middle two for even lengths); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
