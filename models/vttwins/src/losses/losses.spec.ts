import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_SOFT_DTW_OPTIONS } from '../s2dtw/s2dtw-options';
import { s2dtwReference, similarityMatrixReference } from '../s2dtw/s2dtw.reference';
import { milNceLoss, milNceLossReference } from './mil-nce.loss';
import { s2dtwContrastiveLoss, s2dtwPairSimilarities } from './s2dtw-contrastive.loss';
import {
  enumerateLocalPermutations,
  sampleTemporalPermutation,
  temporalPermutationProbabilities,
} from './temporal-augmentation';

const e1 = [1, 0];
const e2 = [0, 1];

function randomUnitSequences(rng: Rng, b: number, n: number, d: number): number[][][] {
  return Array.from({ length: b }, () =>
    Array.from({ length: n }, () => {
      const r = Array.from({ length: d }, () => rng.normal());
      const norm = Math.hypot(...r);
      return r.map((x) => x / norm);
    }),
  );
}

describe('contrastive losses', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('S2DTW loss reproduces the spec batch (neg matrix and L = 0.135503)', () => {
    const v = tf.tensor3d([
      [e1, e2],
      [e2, e1],
    ]);
    const neg = s2dtwPairSimilarities(v, v).arraySync();
    const expected = [
      [2.182212, 0.251964],
      [0.251964, 2.182212],
    ];
    neg.forEach((row, i) => row.forEach((x, j) => expect(Math.abs(x - expected[i][j])).toBeLessThan(1e-5)));
    const loss = s2dtwContrastiveLoss(v, v);
    expect(Math.abs(loss.dataSync()[0] - 0.135503)).toBeLessThan(1e-5);
    tf.dispose([v, loss]);
  });

  it('neg[i][j] = s(V_j, T_i) on a random batch, S2DTW and plain soft-DTW, against float64', () => {
    const rng = new Rng(2);
    const vs = randomUnitSequences(rng, 3, 4, 5);
    const ts = randomUnitSequences(rng, 3, 4, 5);
    for (const options of [{}, PLAIN_SOFT_DTW_OPTIONS]) {
      const neg = s2dtwPairSimilarities(tf.tensor3d(vs), tf.tensor3d(ts), options).arraySync();
      let expectedLoss = 0;
      for (let i = 0; i < 3; i++) {
        const row = [0, 1, 2].map((j) => s2dtwReference(similarityMatrixReference(vs[j], ts[i]), options).similarity);
        row.forEach((x, j) => expect(Math.abs(neg[i][j] - x)).toBeLessThan(1e-4));
        const mx = Math.max(...row);
        expectedLoss += mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0)) - row[i];
      }
      const loss = s2dtwContrastiveLoss(tf.tensor3d(vs), tf.tensor3d(ts), options).dataSync()[0];
      expect(Math.abs(loss - expectedLoss / 3)).toBeLessThan(1e-4);
    }
  });

  it('MIL-NCE matches its float64 reference and has a closed form on a tiny case', () => {
    const rng = new Rng(4);
    const vs = randomUnitSequences(rng, 2, 3, 4);
    const ts = randomUnitSequences(rng, 2, 3, 4);
    for (const window of [0, 1]) {
      const got = milNceLoss(tf.tensor3d(vs), tf.tensor3d(ts), { window, temperature: 0.5 }).dataSync()[0];
      expect(Math.abs(got - milNceLossReference(vs, ts, { window, temperature: 0.5 }))).toBeLessThan(1e-4);
    }
    // One clip, one caption, window 0: LSE({x, x}) − x = ln 2.
    const one = milNceLoss(tf.tensor3d([[[1, 0]]]), tf.tensor3d([[[0.6, 0.8]]]), { window: 0, temperature: 1 });
    expect(one.dataSync()[0]).toBeCloseTo(Math.log(2), 5);
  });

  it('losses have finite gradients', () => {
    const rng = new Rng(6);
    const v = tf.tensor3d(randomUnitSequences(rng, 2, 3, 4));
    const t = tf.tensor3d(randomUnitSequences(rng, 2, 3, 4));
    for (const loss of [s2dtwContrastiveLoss, milNceLoss]) {
      const [gv, gt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a, b))([v, t]);
      for (const g of [gv, gt]) {
        expect(g.dataSync().every(Number.isFinite)).toBe(true);
        expect(Math.max(...Array.from(g.dataSync(), Math.abs))).toBeGreaterThan(0);
      }
    }
  });
});

describe('temporal data augmentation', () => {
  it('counts 400 local permutations for n = 8', () => {
    expect(enumerateLocalPermutations(8).length).toBe(400);
    expect(enumerateLocalPermutations(3, 1)).toEqual([
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
    ]);
  });

  it('uniform for a constant sequence, peaked on the identity for distinct one-hot rows', () => {
    const perms = enumerateLocalPermutations(4);
    const flat = temporalPermutationProbabilities(new Float32Array(4 * 3).fill(1), 4, 3, perms);
    flat.forEach((p) => expect(p).toBeCloseTo(1 / perms.length, 10));
    // One-hot rows: S = −I is invariant under every permutation, so again uniform.
    const onehot = Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    temporalPermutationProbabilities(onehot, 4, 4, perms).forEach((p) => expect(p).toBeCloseTo(1 / perms.length, 10));
    // Smoothly varying rows: the identity (distance 0) dominates.
    const ramp = Float32Array.from([1, 0, 0.8, 0.6, 0, 1, -0.6, 0.8]);
    const probs = temporalPermutationProbabilities(ramp, 4, 2, perms);
    const id = perms.findIndex((p) => p.every((v, k) => v === k));
    expect(probs[id]).toBe(Math.max(...probs));
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(sampleTemporalPermutation(ramp, 4, 2, new Rng(1), perms)).toHaveLength(4);
  });
});
