import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { infoNceAlignmentLoss, multimodalAlignmentLoss } from './infonce-alignment.loss';
import { pairwiseRatingOrderLoss } from './pairwise-rating-order.loss';
import type { RankingBatch } from './ranking-loss.types';
import { isRankingLossName, rankingLosses } from './ranking-losses';
import { sampledSoftmaxRankingLoss } from './sampled-softmax-ranking.loss';
import { centralDiff, refInfoNce, refPairwise, refSampledSoftmax, reshape } from './losses-reference.testing';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const flat = (m: number[][]) => m.flat();

function batchOf(
  scores: number[][],
  posUser: number[],
  posItem: number[],
  interacted?: number[][],
  extra: Partial<RankingBatch> = {},
): RankingBatch {
  const nU = scores.length;
  const nI = scores[0].length;
  const inter = interacted ?? Array.from({ length: nU }, () => new Array(nI).fill(0));
  // Each positive is an interaction by definition.
  posUser.forEach((u, k) => (inter[u][posItem[k]] = 1));
  return {
    scores: tf.tensor2d(scores),
    posUser: Int32Array.from(posUser),
    posItem: Int32Array.from(posItem),
    interacted: Uint8Array.from(flat(inter)),
    ...extra,
  };
}

function randomBatch(seed: number, nU = 4, nI = 9, p = 7) {
  const rng = new Rng(seed);
  const scores = Array.from({ length: nU }, () => Array.from({ length: nI }, () => 2 * rng.normal()));
  const posUser = Array.from({ length: p }, (_, k) => k % nU);
  const posItem = Array.from({ length: p }, () => rng.int(nI));
  const interacted = Array.from({ length: nU }, () => Array.from({ length: nI }, () => (rng.next() < 0.2 ? 1 : 0)));
  posUser.forEach((u, k) => (interacted[u][posItem[k]] = 1));
  const posRating = posUser.map(() => 1 + rng.int(5));
  const ratings = interacted.map((row) => row.map((x) => (x && rng.next() < 0.7 ? 1 + rng.int(5) : Number.NaN)));
  posUser.forEach((u, k) => (ratings[u][posItem[k]] = posRating[k]));
  return { scores, posUser, posItem, interacted, posRating, ratings, nU, nI };
}

describe('sampled-softmax rating ranking loss (spec §2, §8)', () => {
  it('s(u,i+) = 1 and two negatives at 0, τ = 0.5: log(e² + 2) − 2 = 0.239545', () => {
    const out = sampledSoftmaxRankingLoss(batchOf([[1, 0, 0]], [0], [0]));
    expect(out.loss.dataSync()[0]).toBeCloseTo(0.239545, 5);
  });

  it('B equal logits with no other interactions give ln B', () => {
    const out = sampledSoftmaxRankingLoss(batchOf([new Array(8).fill(0.3), new Array(8).fill(-2)], [0, 1], [3, 5]));
    expect(Array.from(out.losses.dataSync())).toEqual([expect.closeTo(Math.log(8), 5), expect.closeTo(Math.log(8), 5)]);
  });

  it("keeps the positive but drops the user's other positives (project choice, never negative)", () => {
    // User 0 likes items 0 and 1, both scored high; item 2 and 3 are negatives.
    const scores = [[3, 3, 0, 0]];
    const out = sampledSoftmaxRankingLoss(batchOf(scores, [0, 0], [0, 1]));
    const expected = Math.log(Math.exp(6) + 2) - 6; // denominator {i+, 2, 3}, the other positive left out
    expect(Array.from(out.losses.dataSync())).toEqual([expect.closeTo(expected, 5), expect.closeTo(expected, 5)]);
    expect(out.loss.dataSync()[0]).toBeGreaterThanOrEqual(0);
    // Read literally (positive excluded too) the same batch gives a negative loss.
    const literal = sampledSoftmaxRankingLoss(batchOf(scores, [0, 0], [0, 1]), { denominator: 'literal' });
    expect(literal.loss.dataSync()[0]).toBeCloseTo(Math.log(2) - 6, 5);
  });

  it('matches the float64 reference on a random batch, and its gradient the float64 central differences', () => {
    const b = randomBatch(11);
    const batch = batchOf(b.scores, b.posUser, b.posItem, b.interacted);
    const out = sampledSoftmaxRankingLoss(batch);
    const ref = refSampledSoftmax(b.scores, b.posUser, b.posItem, b.interacted, 0.5);
    Array.from(out.losses.dataSync()).forEach((x, k) => expect(x).toBeCloseTo(ref[k], 4));
    const g = tf
      .grad((s: tf.Tensor) => sampledSoftmaxRankingLoss({ ...batch, scores: s as tf.Tensor2D }).loss)(batch.scores)
      .dataSync();
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const num = centralDiff(
      (x) => mean(refSampledSoftmax(reshape(x, b.nU, b.nI), b.posUser, b.posItem, b.interacted, 0.5)),
      flat(b.scores),
      1e-5,
    );
    g.forEach((x, i) => expect(Math.abs(x - num[i])).toBeLessThan(1e-4 + 1e-3 * Math.abs(num[i])));
    // Interacted non-positive entries get exactly zero gradient: they are out of every denominator.
    const posKeys = new Set(b.posUser.map((u, k) => u * b.nI + b.posItem[k]));
    flat(b.interacted).forEach((x, i) => {
      if (x && !posKeys.has(i)) expect(g[i]).toBe(0);
    });
  });

  it('float32 central differences (h = 1e-2) through the TF.js loss agree with tf.grad', () => {
    const b = randomBatch(5, 2, 5, 3);
    const batch = batchOf(b.scores, b.posUser, b.posItem, b.interacted);
    const f = (x: number[]) =>
      sampledSoftmaxRankingLoss({ ...batch, scores: tf.tensor2d(x, [b.nU, b.nI]) }).loss.dataSync()[0];
    const num = centralDiff(f, flat(b.scores), 1e-2);
    const g = tf
      .grad((s: tf.Tensor) => sampledSoftmaxRankingLoss({ ...batch, scores: s as tf.Tensor2D }).loss)(batch.scores)
      .dataSync();
    g.forEach((x, i) => expect(Math.abs(x - num[i])).toBeLessThan(1e-2 * Math.max(Math.abs(num[i]), 1e-2)));
  });

  it('rejects empty batches, bad indices, mismatched masks and a bad τ', () => {
    const ok = batchOf([[1, 0]], [0], [0]);
    expect(() => sampledSoftmaxRankingLoss({ ...ok, posUser: new Int32Array(0), posItem: new Int32Array(0) })).toThrow(
      InvalidInputError,
    );
    expect(() => sampledSoftmaxRankingLoss({ ...ok, posItem: Int32Array.from([2]) })).toThrow(/outside/);
    expect(() => sampledSoftmaxRankingLoss({ ...ok, posItem: Int32Array.from([0, 1]) })).toThrow(
      DimensionMismatchError,
    );
    expect(() => sampledSoftmaxRankingLoss({ ...ok, interacted: new Uint8Array(3) })).toThrow(DimensionMismatchError);
    expect(() => sampledSoftmaxRankingLoss(ok, { temperature: 0 })).toThrow(/temperature/);
  });
});

describe('pairwise rating-order loss (spec §3.2, §8)', () => {
  it('s(u,i) − s(u,j) = 1, τ = 0.5: −log σ(2) = 0.126928', () => {
    const batch = batchOf([[1, 0]], [0], [0], undefined, { posRating: Float32Array.from([5]) });
    expect(pairwiseRatingOrderLoss(batch).loss.dataSync()[0]).toBeCloseTo(0.126928, 5);
  });

  it('orders rated pairs by rating: a higher-rated item is never pushed below a lower one', () => {
    // Items 0 (rated 5), 1 (rated 3), both interacted; unratedBelow off leaves the single pair (0 > 1).
    const batch = batchOf([[0.5, 1.5, 9]], [0, 0], [0, 1], [[1, 1, 0]], {
      posRating: Float32Array.from([5, 3]),
      ratings: Float32Array.from([5, 3, Number.NaN]),
    });
    const out = pairwiseRatingOrderLoss(batch, { unratedBelow: false });
    expect(out.loss.dataSync()[0]).toBeCloseTo(Math.log1p(Math.exp(2)), 5); // −log σ((0.5 − 1.5)/0.5)
    expect(Array.from(out.losses.dataSync())).toEqual([expect.closeTo(Math.log1p(Math.exp(2)), 5), 0]);
  });

  it('matches the float64 reference on a random batch, and its gradient the central differences', () => {
    const b = randomBatch(23);
    const batch = batchOf(b.scores, b.posUser, b.posItem, b.interacted, {
      posRating: Float32Array.from(b.posRating),
      ratings: Float32Array.from(flat(b.ratings)),
    });
    for (const unratedBelow of [true, false]) {
      const got = pairwiseRatingOrderLoss(batch, { unratedBelow, temperature: 0.7 }).loss.dataSync()[0];
      const ref = refPairwise(b.scores, b.posUser, b.posItem, b.posRating, b.ratings, b.interacted, 0.7, unratedBelow);
      expect(got).toBeCloseTo(ref, 5);
    }
    const g = tf
      .grad((s: tf.Tensor) => pairwiseRatingOrderLoss({ ...batch, scores: s as tf.Tensor2D }).loss)(batch.scores)
      .dataSync();
    const num = centralDiff(
      (x) => refPairwise(reshape(x, b.nU, b.nI), b.posUser, b.posItem, b.posRating, b.ratings, b.interacted, 0.5),
      flat(b.scores),
      1e-5,
    );
    g.forEach((x, i) => expect(Math.abs(x - num[i])).toBeLessThan(1e-4 + 1e-3 * Math.abs(num[i])));
  });

  it('shares the interface with the sampled softmax through the typed map', () => {
    expect(isRankingLossName('pairwise-rating-order')).toBe(true);
    expect(isRankingLossName('bpr')).toBe(false);
    const batch = batchOf([[1, 0, 0]], [0], [0], undefined, { posRating: Float32Array.from([4]) });
    expect(rankingLosses['sampled-softmax'](batch).loss.dataSync()[0]).toBeCloseTo(0.239545, 5);
    expect(rankingLosses['pairwise-rating-order'](batch).loss.dataSync()[0]).toBeCloseTo(0.126928, 5);
  });

  it('needs ratings and at least one ordered pair', () => {
    expect(() => pairwiseRatingOrderLoss(batchOf([[1, 0]], [0], [0]))).toThrow(/posRating/);
    const noPairs = batchOf([[1, 0]], [0], [0], [[1, 1]], { posRating: Float32Array.from([4]) });
    expect(() => pairwiseRatingOrderLoss(noPairs)).toThrow(/no ordered pair/);
  });
});

describe('symmetric InfoNCE alignment (spec §3.2, §8)', () => {
  it('H_a = H_b = I₂, τ = 1: 0.313262 each way and symmetric', () => {
    const out = infoNceAlignmentLoss(tf.eye(2) as tf.Tensor2D, tf.eye(2) as tf.Tensor2D, { temperature: 1 });
    expect(out.aToB.dataSync()[0]).toBeCloseTo(0.313262, 5);
    expect(out.bToA.dataSync()[0]).toBeCloseTo(0.313262, 5);
    expect(out.loss.dataSync()[0]).toBeCloseTo(0.313262, 5);
  });

  it('swapping a and b leaves the loss unchanged; matches the float64 reference', () => {
    const rng = new Rng(3);
    const ha = Array.from({ length: 6 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const hb = Array.from({ length: 6 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const ab = infoNceAlignmentLoss(tf.tensor2d(ha), tf.tensor2d(hb), { temperature: 0.2 });
    const ba = infoNceAlignmentLoss(tf.tensor2d(hb), tf.tensor2d(ha), { temperature: 0.2 });
    expect(ab.loss.dataSync()[0]).toBeCloseTo(ba.loss.dataSync()[0], 5);
    expect(ab.aToB.dataSync()[0]).toBeCloseTo(ba.bToA.dataSync()[0], 5);
    expect(ab.loss.dataSync()[0]).toBeCloseTo(refInfoNce(ha, hb, 0.2), 4);
  });

  it('its gradient matches float64 central differences of the reference', () => {
    const rng = new Rng(9);
    const ha = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => rng.normal()));
    const hb = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => rng.normal()));
    const g = tf
      .grad((x: tf.Tensor) => infoNceAlignmentLoss(x as tf.Tensor2D, tf.tensor2d(hb), { temperature: 0.5 }).loss)(
        tf.tensor2d(ha),
      )
      .dataSync();
    const num = centralDiff((x) => refInfoNce(reshape(x, 4, 3), hb, 0.5), flat(ha), 1e-5);
    g.forEach((x, i) => expect(Math.abs(x - num[i])).toBeLessThan(1e-4 + 1e-3 * Math.abs(num[i])));
  });

  it('multimodal sum uses only items holding both modalities and skips pairs with < 2 shared items', () => {
    const rng = new Rng(4);
    const m = () => Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => rng.normal()));
    const [t, v, a] = [m(), m(), m()];
    const views = [
      { h: tf.tensor2d(t), present: Uint8Array.from([1, 1, 1, 0]) },
      { h: tf.tensor2d(v), present: Uint8Array.from([1, 0, 1, 1]) },
      { h: tf.tensor2d(a), present: Uint8Array.from([0, 0, 0, 1]) },
    ];
    const got = multimodalAlignmentLoss(views, { temperature: 0.3 }).dataSync()[0];
    // Only (text, video) shares ≥ 2 items: rows 0 and 2.
    expect(got).toBeCloseTo(refInfoNce([t[0], t[2]], [v[0], v[2]], 0.3), 4);
    expect(multimodalAlignmentLoss([views[0], views[2]]).dataSync()[0]).toBe(0);
  });

  it('rejects mismatched views', () => {
    expect(() => infoNceAlignmentLoss(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([3, 3]) as tf.Tensor2D)).toThrow(
      DimensionMismatchError,
    );
  });
});
