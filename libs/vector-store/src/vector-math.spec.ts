import { describe, expect, it } from 'vitest';
import { Rng } from '@tessera/common';
import {
  averageVectorTarget,
  bestScore,
  normaliseInPlace,
  publicScore,
  scaledFastSigmoid,
  scoreInto,
  similarityAt,
  sumScores,
} from './vector-math';
import { TopK } from './top-k';

describe('vector math', () => {
  it('normalises, keeps zero vectors zero', () => {
    expect(Array.from(normaliseInPlace(new Float32Array([3, 4])))).toEqual([
      expect.closeTo(0.6, 6),
      expect.closeTo(0.8, 6),
    ]);
    expect(Array.from(normaliseInPlace(new Float32Array([0, 0])))).toEqual([0, 0]);
  });

  it('scores Dot as the dot product and Euclid as the distance', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const q = new Float32Array([1, 1]);
    expect(similarityAt('Dot', data, 2, q)).toBe(7);
    expect(publicScore('Euclid', similarityAt('Euclid', data, 2, q))).toBeCloseTo(Math.sqrt(4 + 9), 6);
  });

  it('builds the average_vector target avg(pos) + (avg(pos) - avg(neg))', () => {
    const t = averageVectorTarget([new Float32Array([1, 0]), new Float32Array([0, 1])], [new Float32Array([1, 1])]);
    expect(Array.from(t)).toEqual([0, 0]);
    expect(Array.from(averageVectorTarget([new Float32Array([2, 4])], []))).toEqual([2, 4]);
  });

  it('computes best_score and sum_scores by their definitions', () => {
    expect(scaledFastSigmoid(0)).toBe(0.5);
    expect(scaledFastSigmoid(1)).toBe(0.75);
    expect(bestScore([0.9, 0.2], [0.5])).toBeCloseTo(scaledFastSigmoid(0.9), 9);
    expect(bestScore([0.3], [0.8])).toBeCloseTo(-scaledFastSigmoid(0.8), 9);
    expect(bestScore([], [0.1])).toBeCloseTo(-scaledFastSigmoid(0.1), 9);
    expect(sumScores([0.5, 0.25], [0.5])).toBe(0.25);
  });

  it('keeps the k best in TopK, best first', () => {
    const top = new TopK(3);
    [5, 1, 9, 3, 7, 2].forEach((s, i) => top.push(i, s));
    expect(top.sorted()).toEqual([
      { slot: 2, score: 9 },
      { slot: 4, score: 7 },
      { slot: 0, score: 5 },
    ]);
    expect(top.floor).toBe(5);
  });

  it('scoreInto with early abandoning keeps exactly the top k of a full scan', () => {
    const rng = new Rng(11);
    const n = 2000;
    const d = 40;
    const data = Float32Array.from({ length: n * d }, () => rng.normal());
    for (const distance of ['Euclid', 'Dot'] as const) {
      const q = Float32Array.from({ length: d }, () => rng.normal());
      const fast = new TopK(10);
      const plain = new TopK(10);
      for (let slot = 0; slot < n; slot++) {
        scoreInto(fast, distance === 'Euclid', data, slot, q);
        plain.push(slot, similarityAt(distance, data, slot * d, q));
      }
      expect(fast.sorted().map((r) => r.slot)).toEqual(plain.sorted().map((r) => r.slot));
      expect(fast.sorted()[9].score).toBeCloseTo(plain.sorted()[9].score, 6);
    }
  });
});
