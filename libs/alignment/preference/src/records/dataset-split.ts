import { InvalidInputError, Rng } from '@tessera/common';

export interface DatasetSplit<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * Fixed-seed split by index: the indices are shuffled with `seed`, then cut by `fractions`
 * (train, validation, test; default 80/10/10). The same seed always gives the same split.
 */
export function splitByIndex<T>(
  items: readonly T[],
  seed: number,
  fractions: [number, number, number] = [0.8, 0.1, 0.1],
): DatasetSplit<T> {
  const total = fractions[0] + fractions[1] + fractions[2];
  if (fractions.some((f) => !(f >= 0)) || Math.abs(total - 1) > 1e-9) {
    throw new InvalidInputError(`split fractions must be non-negative and sum to 1, got ${fractions.join('/')}`);
  }
  const order = new Rng(seed).shuffle(items.map((_, i) => i));
  const nTrain = Math.round(items.length * fractions[0]);
  const nVal = Math.round(items.length * fractions[1]);
  const pick = (from: number, to: number) => order.slice(from, to).map((i) => items[i]);
  return { train: pick(0, nTrain), validation: pick(nTrain, nTrain + nVal), test: pick(nTrain + nVal, items.length) };
}
