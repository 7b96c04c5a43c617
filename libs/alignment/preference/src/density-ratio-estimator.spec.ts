import { CorruptDataError, InvalidInputError, Rng } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { DensityRatioEstimator, densityRatio } from './density-ratio-estimator';
import { LogisticRegression } from './logistic-regression';

function cloud(rng: Rng, n: number, centre: number[]): number[][] {
  return Array.from({ length: n }, () => centre.map((c) => c + rng.normal()));
}

describe('UDM density ratio (known answers, spec §7)', () => {
  it('P(+|x) = 0.8 → 4; 0.99 → clamped to 10; 0.2 → clamped to 0.5', () => {
    expect(densityRatio(0.8)).toBeCloseTo(4, 6);
    expect(densityRatio(0.99)).toBe(10);
    expect(densityRatio(0.2)).toBe(0.5);
  });
});

describe('DensityRatioEstimator', () => {
  it('on two separable Gaussian clouds the ratio is > 1 on the positive side and clamped at the bounds', () => {
    const rng = new Rng(1);
    const pos = cloud(rng, 200, [2, 2, 0]);
    const neg = cloud(rng, 200, [-2, -2, 0]);
    const est = DensityRatioEstimator.fit(pos, neg, { seed: 1 });
    expect(est.weight([2, 2, 0])).toBeGreaterThan(1);
    expect(est.weight([6, 6, 0])).toBe(10);
    expect(est.weight([-6, -6, 0])).toBe(0.5);
    expect(est.probability([0, 0, 0])).toBeGreaterThan(0.3);
    expect(est.probability([0, 0, 0])).toBeLessThan(0.7);
  });

  it('balanced class weights: unequal sample counts still put the boundary in the middle', () => {
    const rng = new Rng(2);
    // Overlapping 1-D clouds at ±1, 50 vs 400 samples: unweighted LR shifts the boundary towards the small class.
    const pos = cloud(rng, 50, [1]);
    const neg = cloud(rng, 400, [-1]);
    const balanced = LogisticRegression.fit([...pos, ...neg], [...pos.map(() => 1), ...neg.map(() => 0)]);
    const plain = LogisticRegression.fit([...pos, ...neg], [...pos.map(() => 1), ...neg.map(() => 0)], {
      balanced: false,
    });
    expect(Math.abs(balanced.probability([0]) - 0.5)).toBeLessThan(0.1);
    expect(plain.probability([0])).toBeLessThan(0.3);
  });

  it('samples at most promptSampleSize per side, gives chosen rows weight 1, and round-trips', () => {
    const rng = new Rng(3);
    const est = DensityRatioEstimator.fit(cloud(rng, 3000, [1, 0]), cloud(rng, 50, [-1, 0]), {
      promptSampleSize: 64,
      seed: 4,
    });
    const w = est.rowWeights(
      [
        [3, 0],
        [3, 0],
        [-3, 0],
      ],
      [true, false, false],
    );
    expect(w[0]).toBe(1);
    expect(w[1]).toBeGreaterThan(1);
    expect(w[2]).toBeCloseTo(0.5, 6);
    const back = DensityRatioEstimator.fromJSON(JSON.parse(JSON.stringify(est)));
    expect(back.weight([0.3, 0.1])).toBeCloseTo(est.weight([0.3, 0.1]), 12);
    expect(() => DensityRatioEstimator.fromJSON({})).toThrow(CorruptDataError);
  });

  it('refuses a side with no prompts and bad bounds', () => {
    expect(() => DensityRatioEstimator.fit([], [[1]])).toThrow(InvalidInputError);
    expect(() => DensityRatioEstimator.fit([[1]], [[2]], { minDensityRatio: 2, maxDensityRatio: 1 })).toThrow(
      InvalidInputError,
    );
  });
});
