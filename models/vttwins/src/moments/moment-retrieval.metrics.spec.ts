import { InvalidInputError } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { momentRecallAt1, rankMomentWindows, temporalIoU } from './moment-retrieval.metrics';

describe('moment retrieval metrics', () => {
  it('temporal IoU by hand', () => {
    expect(temporalIoU([0, 10], [5, 15])).toBeCloseTo(5 / 15, 12);
    expect(temporalIoU([0, 10], [0, 10])).toBe(1);
    expect(temporalIoU([0, 4], [6, 10])).toBe(0);
    expect(temporalIoU([2, 8], [0, 10])).toBeCloseTo(0.6, 12);
    expect(temporalIoU([3, 3], [3, 3])).toBe(0);
  });

  it('R1@0.5 and R1@0.7 use the top window against the best gold window', () => {
    const predicted = [
      [
        [0, 10],
        [20, 30],
      ], // IoU 1 with the second gold window
      [[0, 10]], // IoU 0.6 with [2, 8] → counts at 0.5, not at 0.7
      [
        [50, 60],
        [0, 10],
      ], // only the first window counts: IoU 0
      [[0, 7]], // IoU 0.7 exactly with [0, 10]
    ] as const;
    const gold = [
      [
        [40, 50],
        [0, 10],
      ],
      [[2, 8]],
      [[0, 10]],
      [[0, 10]],
    ] as const;
    const m = momentRecallAt1(predicted, gold);
    expect(m).toEqual({ 'R1@0.5': 3 / 4, 'R1@0.7': 2 / 4, mIoU: expect.any(Number), queries: 4 });
    expect(m.mIoU).toBeCloseTo((1 + 0.6 + 0 + 0.7) / 4, 12);
    expect(momentRecallAt1([[]], [[[0, 1]]])['R1@0.5']).toBe(0);
    expect(() => momentRecallAt1([[[0, 1]]], [])).toThrow(InvalidInputError);
    expect(() => momentRecallAt1([[[0, 1]]], [[]])).toThrow(/no gold window/);
  });

  it('ranks runs of consecutive clips by mean score', () => {
    const times = [
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
    ] as const;
    const ranked = rankMomentWindows([0.1, 0.9, 0.8, 0.0], times, { maxClips: 2 });
    expect(ranked.map((r) => r.window)).toEqual([
      [2, 4],
      [2, 6],
      [4, 6],
      [0, 4],
      [4, 8],
      [0, 2],
      [6, 8],
    ]);
    expect(ranked[1].score).toBeCloseTo(0.85, 12);
    // the ranked windows plug straight into the metric
    expect(momentRecallAt1([ranked.map((r) => r.window)], [[[2, 6]]])['R1@0.5']).toBe(1);
    expect(() => rankMomentWindows([1], times)).toThrow(InvalidInputError);
  });
});
