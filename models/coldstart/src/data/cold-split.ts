import { InvalidInputError, Rng } from '@tessera/common';
import type { ColdSplit } from './cold-start.types';

export interface ColdSplitOptions {
  seed: number;
  /** warm / cold-validation / cold-test shares; default 0.8 / 0.1 / 0.1. */
  fractions?: [number, number, number];
}

/**
 * Shuffle the item ids with a seeded Rng and cut them 80/10/10. Ids are sorted
 * first so the split depends only on the id set and the seed, not input order.
 */
export function splitColdItems(itemIds: Iterable<number>, options: ColdSplitOptions): ColdSplit {
  const [fw, fv, ft] = options.fractions ?? [0.8, 0.1, 0.1];
  if ([fw, fv, ft].some((f) => !(f >= 0)) || Math.abs(fw + fv + ft - 1) > 1e-9) {
    throw new InvalidInputError('split fractions must be non-negative and sum to 1', { fractions: [fw, fv, ft] });
  }
  const ids = [...new Set(itemIds)].sort((a, b) => a - b);
  new Rng(options.seed).shuffle(ids);
  const nVal = Math.round(ids.length * fv);
  const nTest = Math.round(ids.length * ft);
  const nWarm = ids.length - nVal - nTest;
  return {
    warm: ids.slice(0, nWarm),
    coldVal: ids.slice(nWarm, nWarm + nVal),
    coldTest: ids.slice(nWarm + nVal),
    seed: options.seed,
  };
}
