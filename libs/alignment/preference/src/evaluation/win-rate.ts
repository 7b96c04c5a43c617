import { DimensionMismatchError, InvalidInputError } from '@tessera/common';

export interface WinRate {
  /** (wins + ties / 2) / count. */
  winRate: number;
  wins: number;
  ties: number;
  losses: number;
  count: number;
}

/**
 * Head-to-head win rate of a candidate against a baseline on the same prompts, from a judge's scores:
 * candidate[i] > baseline[i] is a win, equality a tie (half a win). Non-finite scores are refused.
 */
export function winRate(candidate: ArrayLike<number>, baseline: ArrayLike<number>): WinRate {
  if (candidate.length !== baseline.length) {
    throw new DimensionMismatchError(`${candidate.length} candidate scores vs ${baseline.length} baseline scores`);
  }
  if (candidate.length === 0) throw new InvalidInputError('win rate needs at least one prompt');
  let wins = 0;
  let ties = 0;
  let losses = 0;
  for (let i = 0; i < candidate.length; i++) {
    const a = candidate[i];
    const b = baseline[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw new InvalidInputError(`non-finite score at prompt ${i}`);
    if (a > b) wins++;
    else if (a === b) ties++;
    else losses++;
  }
  const count = candidate.length;
  return { winRate: (wins + ties / 2) / count, wins, ties, losses, count };
}
