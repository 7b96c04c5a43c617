import { describe, expect, it } from 'vitest';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import {
  evaluateRankings,
  hitRateAtK,
  median,
  ndcgAtK,
  rankOf,
  recallAtK,
  reciprocalRank,
  retrievalMetrics,
  summarizeRuns,
  summarizeSeeds,
  topKIndices,
} from './index';

describe('ranking metrics (spec section 8 known answers)', () => {
  it('relevant {A, C}, ranking [A, B, C, D], K = 2', () => {
    const rel = new Set(['A', 'C']);
    const ranked = ['A', 'B', 'C', 'D'];
    expect(recallAtK(ranked, rel, 2)).toBe(0.5);
    expect(recallAtK(ranked, rel, 2, { recallDenominator: 'rel' })).toBe(0.5);
    // DCG = 1, IDCG = 1 + 1/log2(3)
    expect(ndcgAtK(ranked, rel, 2)).toBeCloseTo(0.613147, 6);
    expect(ndcgAtK(ranked, rel, 2)).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 12);
  });

  it('denominator difference: relevant {A, B, C}, ranking [A, B, …], K = 2', () => {
    const rel = new Set(['A', 'B', 'C']);
    const ranked = ['A', 'B', 'D', 'C'];
    expect(recallAtK(ranked, rel, 2)).toBe(1);
    expect(recallAtK(ranked, rel, 2, { recallDenominator: 'rel' })).toBeCloseTo(0.666667, 6);
    expect(ndcgAtK(ranked, rel, 2)).toBe(1);
  });

  it('MRR, hit rate and hand-computed NDCG@3', () => {
    const rel = new Set([3, 9]);
    const ranked = [5, 3, 7, 9];
    expect(reciprocalRank(ranked, rel)).toBe(0.5);
    expect(reciprocalRank([1, 2], rel)).toBe(0);
    expect(hitRateAtK(ranked, rel, 1)).toBe(0);
    expect(hitRateAtK(ranked, rel, 2)).toBe(1);
    // DCG@3 = 1/log2(3); IDCG@3 = 1 + 1/log2(3)
    expect(ndcgAtK(ranked, rel, 3)).toBeCloseTo(0.63093 / 1.63093, 5);
    expect(() => recallAtK(ranked, rel, 0)).toThrow(InvalidInputError);
  });

  it('median of odd, even and empty lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('evaluateRankings', () => {
  it('macro-averages over users and drops users without positives', () => {
    const table = evaluateRankings(
      [
        { ranked: ['A', 'B', 'C', 'D'], relevant: new Set(['A', 'C']) }, // recall@2 .5, rr 1, first rank 1
        { ranked: ['B', 'A', 'C', 'D'], relevant: new Set(['D']) }, // recall@2 0, rr .25, first rank 4
        { ranked: ['A'], relevant: new Set<string>() },
      ],
      { ks: [2] },
    );
    expect(table.users).toBe(2);
    expect(table['recall@2']).toBe(0.25);
    expect(table['hit@2']).toBe(0.5);
    expect(table.mrr).toBe(0.625);
    expect(table.medianRank).toBe(2.5);
    expect(table['ndcg@2']).toBeCloseTo(0.613147 / 2, 6);
  });
});

describe('seed summaries', () => {
  it('mean, sample std, min and max', () => {
    const s = summarizeSeeds([0.1, 0.2, 0.3]);
    expect(s.mean).toBeCloseTo(0.2, 12);
    expect(s.std).toBeCloseTo(0.1, 12);
    expect([s.min, s.max, s.n]).toEqual([0.1, 0.3, 3]);
    expect(summarizeSeeds([5]).std).toBe(0);
    const runs = summarizeRuns([
      { a: 1, b: 2 },
      { a: 3, b: 2 },
    ]);
    expect(runs.a.mean).toBe(2);
    expect(runs.b.std).toBe(0);
  });
});

describe('top-K selection', () => {
  it('matches a full sort with deterministic tie-breaks', () => {
    const rng = new Rng(7);
    const scores = Float32Array.from({ length: 1000 }, () => Math.round(rng.next() * 50) / 50);
    const expected = Array.from(scores.keys())
      .sort((a, b) => scores[b] - scores[a] || a - b)
      .slice(0, 37);
    expect(topKIndices(scores, 37)).toEqual(expected);
    expect(topKIndices(scores, 5000)).toHaveLength(1000);
    expect(topKIndices([1, 5, 3], 2, (i) => i === 1)).toEqual([2, 0]);
    expect(topKIndices([Number.NaN, 1], 2)).toEqual([1]);
  });

  it('rankOf counts ties against the target', () => {
    expect(rankOf([0.9, 0.5, 0.5, 0.1], 2)).toBe(3);
    expect(rankOf([0.9, 0.5, 0.5, 0.1], 0)).toBe(1);
  });
});

describe('text→clip retrieval metrics', () => {
  it('R@1/5/10 and median rank on a hand-built similarity matrix', () => {
    // 3 queries × 12 candidates; gold ranks 1, 6 and 12.
    const n = 12;
    const sim = new Float32Array(3 * n);
    for (let c = 0; c < n; c++) {
      sim[c] = c === 0 ? 1 : 0;
      sim[n + c] = -c; // descending: candidate 5 is rank 6
      sim[2 * n + c] = c === 3 ? -1 : 0.5;
    }
    const m = retrievalMetrics(sim, 3, n, [0, 5, 3]);
    expect(m['R@1']).toBeCloseTo(1 / 3, 12);
    expect(m['R@5']).toBeCloseTo(1 / 3, 12);
    expect(m['R@10']).toBeCloseTo(2 / 3, 12);
    expect(m.medianRank).toBe(6);
    expect(m.meanRank).toBeCloseTo(19 / 3, 12);
    expect(() => retrievalMetrics(sim, 2, n, [0, 1])).toThrow(DimensionMismatchError);
  });
});
