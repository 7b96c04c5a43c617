import { InvalidInputError } from '@tessera/common';

/** A time window [start, end] in seconds. */
export type Window = readonly [number, number];

/** Temporal intersection over union of two windows (0 when either is empty). */
export function temporalIoU(a: Window, b: Window): number {
  const inter = Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
  const union = Math.max(a[1], b[1]) - Math.min(a[0], b[0]);
  return union > 0 ? inter / union : 0;
}

export interface MomentRetrievalMetrics {
  /** Share of queries whose top-ranked window overlaps a gold window with IoU ≥ t, keyed `R1@<t>`. */
  [key: `R1@${string}`]: number;
  /** Mean over queries of the top window's best IoU with a gold window. */
  mIoU: number;
  queries: number;
}

/**
 * Moment retrieval as QVHighlights and DiDeMo score it: per query, the first predicted window
 * against the best-matching annotated window (max IoU over several annotators or windows).
 */
export function momentRecallAt1(
  predicted: readonly (readonly Window[])[],
  gold: readonly (readonly Window[])[],
  thresholds: readonly number[] = [0.5, 0.7],
): MomentRetrievalMetrics {
  if (predicted.length !== gold.length)
    throw new InvalidInputError(`${predicted.length} predictions for ${gold.length} queries`);
  if (gold.length === 0) throw new InvalidInputError('no queries to evaluate');
  const best = predicted.map((p, q) => {
    if (gold[q].length === 0) throw new InvalidInputError(`query ${q} has no gold window`);
    const top = p[0];
    return top ? Math.max(...gold[q].map((g) => temporalIoU(top, g))) : 0;
  });
  const out: MomentRetrievalMetrics = { mIoU: best.reduce((a, b) => a + b, 0) / best.length, queries: best.length };
  for (const t of thresholds) out[`R1@${t}`] = best.filter((x) => x >= t - 1e-12).length / best.length;
  return out;
}

/**
 * Ranked candidate moments from per-clip scores of one query: every run of 1..`maxClips` consecutive
 * clips, scored by its mean clip score, best first (ties: the shorter, then the earlier run).
 */
export function rankMomentWindows(
  clipScores: ArrayLike<number>,
  clipTimes: readonly Window[],
  opts: { maxClips?: number; limit?: number } = {},
): { window: Window; score: number }[] {
  if (clipScores.length !== clipTimes.length)
    throw new InvalidInputError(`${clipScores.length} clip scores for ${clipTimes.length} clips`);
  const maxClips = opts.maxClips ?? 4;
  const out: { window: Window; score: number; len: number; start: number }[] = [];
  for (let i = 0; i < clipTimes.length; i++) {
    let sum = 0;
    for (let j = i; j < Math.min(clipTimes.length, i + maxClips); j++) {
      sum += clipScores[j];
      out.push({ window: [clipTimes[i][0], clipTimes[j][1]], score: sum / (j - i + 1), len: j - i, start: i });
    }
  }
  out.sort((a, b) => b.score - a.score || a.len - b.len || a.start - b.start);
  return out.slice(0, opts.limit ?? out.length).map(({ window, score }) => ({ window, score }));
}
