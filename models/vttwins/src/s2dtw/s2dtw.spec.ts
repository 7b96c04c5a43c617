import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { gradientCheck, maxAbsDiff, runOnBackends } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLAIN_SOFT_DTW_OPTIONS } from './s2dtw-options';
import { s2dtwBackwardBatch, s2dtwExpectedAlignment, s2dtwForwardBatch } from './s2dtw.kernel';
import { s2dtwSimilarity } from './s2dtw.op';
import {
  type Matrix,
  localSmoothCostReference,
  padWithThresholdReference,
  s2dtwEmbeddingsReference,
  s2dtwReference,
  similarityMatrixReference,
  softDtwBruteForce,
  softDtwExpectedAlignmentReference,
  softDtwReference,
} from './s2dtw.reference';
import { DEFAULT_S2DTW_OPTIONS, resolveS2dtwOptions } from './s2dtw-options';

const e1 = [1, 0, 0];
const e2 = [0, 1, 0];
const e3 = [0, 0, 1];
const D = [
  [0.1, 0.7, 0.3],
  [0.4, 0.2, 0.9],
];

function expectMatrixClose(actual: Matrix, expected: Matrix, tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - expected[i][j])).toBeLessThanOrEqual(tol)));
}

function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * scale));
}

function normaliseRows(x: Matrix): Matrix {
  return x.map((r) => {
    const norm = Math.hypot(...r);
    return r.map((v) => v / norm);
  });
}

function s(v: Matrix, t: Matrix, options = {}): number {
  return s2dtwReference(similarityMatrixReference(v, t), options).similarity;
}

describe('plain soft-DTW reference (spec section 8)', () => {
  it('matches the known values and expected alignments for γ = 1 and γ = 0.1', () => {
    const a = softDtwReference(D, 1);
    expect(a.value).toBeCloseTo(0.02976, 5);
    expectMatrixClose(
      softDtwExpectedAlignmentReference(D, a.r, 1),
      [
        [1, 0.481712, 0.139423],
        [0.207995, 0.672375, 1],
      ],
      1e-6,
    );
    const b = softDtwReference(D, 0.1);
    expect(b.value).toBeCloseTo(1.197404, 6);
    expectMatrixClose(
      softDtwExpectedAlignmentReference(D, b.r, 0.1),
      [
        [1, 0.007781, 0.000327],
        [0.017846, 0.993108, 1],
      ],
      1e-6,
    );
    expect(b.value).toBeGreaterThanOrEqual(1.2 - 0.1 * Math.log(5));
    expect(b.value).toBeLessThanOrEqual(1.2);
  });

  it('equals brute-force enumeration of all monotone paths (value and E) and counts Delannoy paths', () => {
    const rng = new Rng(3);
    const counts: number[] = [];
    for (const [rows, cols] of [
      [2, 3],
      [5, 5],
      [4, 6],
    ]) {
      for (const gamma of [1, 0.1, 0.01]) {
        const p = randomMatrix(rng, rows, cols);
        const brute = softDtwBruteForce(p, gamma);
        const dp = softDtwReference(p, gamma);
        expect(Math.abs(dp.value - brute.value)).toBeLessThan(1e-10);
        expectMatrixClose(softDtwExpectedAlignmentReference(p, dp.r, gamma), brute.alignment, 1e-9);
        if (gamma === 1) counts.push(brute.paths);
      }
    }
    expect(counts.slice(0, 2)).toEqual([5, 321]);
  });

  it('converges to hard DTW as γ → 0', () => {
    expect(softDtwReference(D, 1e-4).value).toBeCloseTo(1.2, 3);
  });
});

describe('S2DTW reference (spec section 8)', () => {
  it('local smoothing matches C = [[−1.009861, −1.0], [−1.1, −1.700125]]', () => {
    const c = localSmoothCostReference(
      [
        [0.9, 0.1],
        [0.2, 0.8],
      ],
      0.1,
    );
    expectMatrixClose(
      c,
      [
        [-1.009861, -1.0],
        [-1.1, -1.700125],
      ],
      1e-6,
    );
  });

  it('padding puts C on odd cells and δ everywhere else', () => {
    const p = padWithThresholdReference([[7, 8]], 0.5);
    expect(p).toEqual([
      [0.5, 0.5, 0.5, 0.5, 0.5],
      [0.5, 7, 0.5, 8, 0.5],
      [0.5, 0.5, 0.5, 0.5, 0.5],
    ]);
  });

  it('reproduces the table of similarities', () => {
    const same = [e1, e2];
    expect(s(same, same)).toBeCloseTo(2.182212, 6);
    expectMatrixClose(
      s2dtwReference(similarityMatrixReference(same, same)).cost,
      [
        [-1.109861, -1.0],
        [-1.0, -2.000009],
      ],
      1e-6,
    );
    expect(s(same, [e2, e1])).toBeCloseTo(0.251964, 6);
    expect(s(same, [e3, e3])).toBeCloseTo(-1.27231, 6);
    expect(s(same, same, { gamma: 1 })).toBeCloseTo(5.657851, 6);
    expect(s(same, same, { gamma: 0.01 })).toBeCloseTo(2.116802, 6);
    expect(s(same, same, { delta: 0 })).toBeCloseTo(4.398934, 6);
    expect(s(same, same, { delta: 1 })).toBeCloseTo(0.219759, 6);
  });

  it('reproduces the expected alignment of the identical pair', () => {
    const { alignment } = s2dtwReference(similarityMatrixReference([e1, e2], [e1, e2]));
    expectMatrixClose(
      alignment,
      [
        [1, 0.0066, 0, 0, 0],
        [0.0066, 1, 0.4983, 0.4983, 0],
        [0, 0.4983, 0.0034, 0.4983, 0],
        [0, 0.4983, 0.4983, 1, 0.0066],
        [0, 0, 0, 0.0066, 1],
      ],
      6e-5,
    );
  });

  it('increasing δ lowers s for a matched pair', () => {
    const same = [e1, e2];
    const values = [0, 0.25, 0.5, 0.75, 1].map((delta) => s(same, same, { delta }));
    for (let k = 1; k < values.length; k++) expect(values[k]).toBeLessThan(values[k - 1]);
  });

  it('analytic gradients match float64 central differences (h = 1e-6)', () => {
    const rng = new Rng(11);
    const v = normaliseRows(randomMatrix(rng, 3, 4));
    const t = normaliseRows(randomMatrix(rng, 4, 4));
    for (const options of [DEFAULT_S2DTW_OPTIONS, PLAIN_SOFT_DTW_OPTIONS]) {
      const { gradV, gradT } = s2dtwEmbeddingsReference(v, t, options);
      const h = 1e-6;
      for (const [x, g] of [
        [v, gradV],
        [t, gradT],
      ] as const) {
        for (let i = 0; i < x.length; i++) {
          for (let k = 0; k < x[0].length; k++) {
            const keep = x[i][k];
            x[i][k] = keep + h;
            const up = s2dtwEmbeddingsReference(v, t, options).similarity;
            x[i][k] = keep - h;
            const down = s2dtwEmbeddingsReference(v, t, options).similarity;
            x[i][k] = keep;
            expect(Math.abs((up - down) / (2 * h) - g[i][k])).toBeLessThan(1e-6);
          }
        }
      }
    }
  });

  it('rejects bad options and input with typed errors', () => {
    expect(() => resolveS2dtwOptions({ gamma: 0 })).toThrow(/gamma/);
    expect(() => s2dtwReference([[Number.NaN]])).toThrow(/non-finite/);
    expect(() => s2dtwForwardBatch(new Float32Array(3), 1, 2, 2, DEFAULT_S2DTW_OPTIONS)).toThrow(/expected 1×2×2/);
  });
});

describe('batched S2DTW kernel', () => {
  it('equals the float64 reference on a random batch (values, gradients, E), square and rectangular', () => {
    const rng = new Rng(5);
    for (const [n, m] of [
      [8, 8],
      [3, 5],
    ]) {
      for (const options of [
        DEFAULT_S2DTW_OPTIONS,
        PLAIN_SOFT_DTW_OPTIONS,
        { ...DEFAULT_S2DTW_OPTIONS, gamma: 1, delta: 0.2 },
      ]) {
        const batch = 4;
        const zs = Array.from({ length: batch }, () => randomMatrix(rng, n, m, 0.5));
        const flat = Float64Array.from(zs.flat(2));
        const dy = Array.from({ length: batch }, () => rng.normal());
        for (const forceLog of [false, true]) {
          const { similarity, state } = s2dtwForwardBatch(flat, batch, n, m, options, forceLog);
          expect(state.logDomainPairs).toBe(forceLog ? batch : 0);
          const grad = s2dtwBackwardBatch(state, dy);
          zs.forEach((z, p) => {
            const ref = s2dtwReference(z, options);
            expect(Math.abs(similarity[p] - ref.similarity)).toBeLessThan(1e-9);
            ref.gradZ.flat().forEach((g, k) => expect(Math.abs(grad[p * n * m + k] - dy[p] * g)).toBeLessThan(1e-5));
            const e = s2dtwExpectedAlignment(state, p);
            ref.alignment.flat().forEach((x, k) => expect(Math.abs(e[k] - x)).toBeLessThan(1e-9));
          });
        }
      }
    }
  });

  it('rescales rows in the exponential domain (large similarities) and still matches the reference', () => {
    const n = 8;
    const z = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : -0.2)));
    const { similarity, state } = s2dtwForwardBatch(Float64Array.from(z.flat()), 1, n, n, DEFAULT_S2DTW_OPTIONS);
    expect(state.logDomainPairs).toBe(0);
    expect(Array.from(state.rowFactor).some((x) => x !== 1)).toBe(true);
    const ref = s2dtwReference(z);
    expect(Math.abs(similarity[0] - ref.similarity)).toBeLessThan(1e-9);
    const grad = s2dtwBackwardBatch(state, [1]);
    ref.gradZ.flat().forEach((g, k) => expect(Math.abs(grad[k] - g)).toBeLessThan(1e-6));
  });

  it('falls back to the log domain where exp would overflow (tiny γ, unnormalised input), same values', () => {
    const rng = new Rng(9);
    const z = randomMatrix(rng, 4, 4, 30);
    const options = { ...DEFAULT_S2DTW_OPTIONS, gamma: 0.01, gammaLocal: 0.01 };
    const { similarity, state } = s2dtwForwardBatch(Float64Array.from(z.flat()), 1, 4, 4, options);
    expect(state.logDomainPairs).toBe(1);
    const ref = s2dtwReference(z, options);
    expect(Math.abs(similarity[0] - ref.similarity)).toBeLessThan(1e-9 * Math.abs(ref.similarity));
    const grad = s2dtwBackwardBatch(state, [1]);
    ref.gradZ.flat().forEach((g, k) => expect(Math.abs(grad[k] - g)).toBeLessThan(1e-5));
  });
});

describe('S2DTW on synthetic shifted sequences (spec section 12)', () => {
  it('puts E ≥ 0.9 on every true match cell and ranks the true pair first (20 seeds)', () => {
    const n = 8;
    const d = 64;
    const noise = 0.2 / Math.sqrt(d);
    const unit = (x: number[]): number[] => {
      const norm = Math.hypot(...x);
      return x.map((v) => v / norm);
    };
    const basis = (k: number, rng: Rng): number[] =>
      unit(Array.from({ length: d }, (_, q) => (q === k ? 1 : 0) + noise * rng.normal()));
    let minTrue = Infinity;
    for (let seed = 0; seed < 20; seed++) {
      const rng = new Rng(100 + seed);
      // Clip 0 is unrelated; clip i (i ≥ 1) shows what sentence i − 1 says (one-step shift).
      const clips = [
        unit(Array.from({ length: d }, () => rng.normal())),
        ...Array.from({ length: n - 1 }, (_, i) => basis(i, rng)),
      ];
      const sentences = Array.from({ length: n }, (_, j) => basis(j, rng));
      const z = similarityMatrixReference(clips, sentences);
      const { similarity, state } = s2dtwForwardBatch(Float64Array.from(z.flat()), 1, n, n, DEFAULT_S2DTW_OPTIONS);
      const e = s2dtwExpectedAlignment(state, 0);
      const cols = 2 * n + 1;
      for (let i = 1; i < n; i++) minTrue = Math.min(minTrue, e[(2 * i + 1) * cols + 2 * (i - 1) + 1]);
      // The true pair beats the same sentences against other clip sequences.
      for (let other = 0; other < 3; other++) {
        const shuffled = rng.shuffle(clips.slice());
        const zo = similarityMatrixReference(shuffled, sentences);
        expect(s2dtwReference(zo).similarity).toBeLessThan(similarity[0]);
      }
    }
    expect(minTrue).toBeGreaterThanOrEqual(0.9);
  });
});

describe('s2dtwSimilarity TF.js op', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reproduces the known similarities to 1e-5 in one batch, and plain soft-DTW', () => {
    const vs = [
      [e1, e2],
      [e1, e2],
      [e1, e2],
    ];
    const ts = [
      [e1, e2],
      [e2, e1],
      [e3, e3],
    ];
    const z = tf.tensor3d(vs.map((v, p) => similarityMatrixReference(v, ts[p])));
    const out = s2dtwSimilarity(z).arraySync();
    [2.182212, 0.251964, -1.27231].forEach((x, k) => expect(Math.abs(out[k] - x)).toBeLessThan(1e-5));
    // Plain soft-DTW of D is −s over Z = −D.
    const plain = s2dtwSimilarity(tf.tensor3d([D.map((r) => r.map((x) => -x))]), {
      ...PLAIN_SOFT_DTW_OPTIONS,
      gamma: 1,
    });
    expect(Math.abs(-plain.arraySync()[0] - 0.02976)).toBeLessThan(1e-5);
    tf.dispose([z, plain]);
  });

  it('gradient through normalised embeddings matches float32 central differences (h = 1e-3, rtol 1e-2)', () => {
    const rng = new Rng(21);
    const b = 2;
    const n = 4;
    const d = 5;
    const v0 = tf.tensor3d(Array.from({ length: b }, () => randomMatrix(rng, n, d)));
    const t0 = tf.tensor3d(Array.from({ length: b }, () => randomMatrix(rng, n, d)));
    const w = tf.tensor1d([0.7, -1.3]);
    const f = (v: tf.Tensor, t: tf.Tensor): tf.Scalar =>
      tf.tidy(() => {
        const vn = tf.div(v, tf.norm(v, 2, -1, true));
        const tn = tf.div(t, tf.norm(t, 2, -1, true));
        return tf.sum(tf.mul(s2dtwSimilarity(tf.matMul(vn, tn, false, true)), w)) as tf.Scalar;
      });
    const [gv, gt] = tf.grads(f)([v0, t0]);
    const h = 1e-3;
    const numeric = (which: 0 | 1): Float32Array => {
      const base = (which === 0 ? v0 : t0).dataSync();
      const out = new Float32Array(base.length);
      for (let k = 0; k < base.length; k++) {
        const plus = Float32Array.from(base);
        const minus = Float32Array.from(base);
        plus[k] += h;
        minus[k] -= h;
        const shape = v0.shape as [number, number, number];
        const [xp, xm] = [tf.tensor3d(plus, shape), tf.tensor3d(minus, shape)];
        const up = (which === 0 ? f(xp, t0) : f(v0, xp)).dataSync()[0];
        const down = (which === 0 ? f(xm, t0) : f(v0, xm)).dataSync()[0];
        out[k] = (up - down) / (2 * h);
        tf.dispose([xp, xm]);
      }
      return out;
    };
    for (const [analytic, which] of [
      [gv, 0],
      [gt, 1],
    ] as const) {
      const a = analytic.dataSync();
      const num = numeric(which);
      let maxErr = 0;
      let maxRef = 0;
      for (let k = 0; k < a.length; k++) {
        maxErr = Math.max(maxErr, Math.abs(a[k] - num[k]));
        maxRef = Math.max(maxRef, Math.abs(num[k]));
      }
      expect(maxErr / maxRef).toBeLessThan(1e-2);
    }
    tf.dispose([v0, t0, w, gv, gt]);
  });

  it('customGrad equals autodiff through a naive TF.js DP on a small grid', () => {
    const rng = new Rng(8);
    const z = tf.tensor3d([randomMatrix(rng, 2, 3, 0.5)]);
    const o = DEFAULT_S2DTW_OPTIONS;
    const smin = (xs: tf.Tensor[], g: number): tf.Tensor =>
      xs.length === 1 ? xs[0] : tf.mul(-g, tf.logSumExp(tf.div(tf.stack(xs), -g)));
    const naive = (zz: tf.Tensor): tf.Scalar => {
      const zm = tf.unstack(tf.squeeze(zz, [0])).map((row) => tf.unstack(row));
      const n = zm.length;
      const m = zm[0].length;
      const c: tf.Tensor[][] = [];
      for (let i = 0; i < n; i++) {
        c.push([]);
        for (let j = 0; j < m; j++) {
          const preds: tf.Tensor[] = [];
          if (i === 0 && j === 0) preds.push(tf.scalar(0), tf.scalar(0), tf.scalar(0));
          if (j > 0) preds.push(tf.neg(zm[i][j - 1]));
          if (i > 0) preds.push(tf.neg(zm[i - 1][j]));
          if (i > 0 && j > 0) preds.push(tf.neg(zm[i - 1][j - 1]));
          c[i].push(tf.add(tf.neg(zm[i][j]), smin(preds, o.gammaLocal)));
        }
      }
      const rows = 2 * n + 1;
      const cols = 2 * m + 1;
      const r: tf.Tensor[][] = [];
      for (let a = 0; a < rows; a++) {
        r.push([]);
        for (let b = 0; b < cols; b++) {
          const cost = a % 2 === 1 && b % 2 === 1 ? c[(a - 1) / 2][(b - 1) / 2] : tf.scalar(o.delta);
          const preds: tf.Tensor[] = [];
          if (a === 0 && b === 0) preds.push(tf.scalar(0));
          if (a > 0 && b > 0) preds.push(r[a - 1][b - 1]);
          if (a > 0) preds.push(r[a - 1][b]);
          if (b > 0) preds.push(r[a][b - 1]);
          r[a].push(tf.add(cost, smin(preds, o.gamma)));
        }
      }
      return tf.neg(r[rows - 1][cols - 1]) as tf.Scalar;
    };
    const viaDp = tf.valueAndGrad(naive)(z);
    const viaOp = tf.valueAndGrad((zz: tf.Tensor) => tf.sum(s2dtwSimilarity(zz)) as tf.Scalar)(z);
    expect(Math.abs(viaDp.value.dataSync()[0] - viaOp.value.dataSync()[0])).toBeLessThan(1e-5);
    const a = viaDp.grad.dataSync();
    const b = viaOp.grad.dataSync();
    for (let k = 0; k < a.length; k++) expect(Math.abs(a[k] - b[k])).toBeLessThan(1e-4);
  });

  it('passes @tessera/tensor gradientCheck through L2-normalised embeddings (eps 1e-3, rtol 1e-2)', () => {
    const rng = new Rng(31);
    const v = tf.tensor3d([randomMatrix(rng, 3, 4)]);
    const t = tf.tensor3d([randomMatrix(rng, 3, 4)]);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
      tf.tidy(() => {
        const an = tf.div(a, tf.norm(a, 2, -1, true));
        const bn = tf.div(b, tf.norm(b, 2, -1, true));
        return tf.sum(s2dtwSimilarity(tf.matMul(an, bn, false, true))) as tf.Scalar;
      });
    const result = gradientCheck(f, [v, t], { eps: 1e-3, rtol: 1e-2, atol: 1e-2 });
    expect(result.checked).toBe(24);
    expect(result.ok).toBe(true);
    tf.dispose([v, t]);
  });

  it('gives the same values and gradients on wasm and cpu', async () => {
    const rng = new Rng(12);
    const data = Array.from({ length: 4 }, () => randomMatrix(rng, 5, 5, 0.4));
    const out = await runOnBackends(['cpu', 'wasm'], () => {
      const z = tf.tensor3d(data);
      const s = s2dtwSimilarity(z);
      const g = tf.grad((zz: tf.Tensor) => tf.sum(s2dtwSimilarity(zz)) as tf.Scalar)(z);
      const res = { s: Array.from(s.dataSync()), g: Array.from(g.dataSync()) };
      tf.dispose([z, s, g]);
      return res;
    });
    expect(maxAbsDiff(out.cpu.s, out.wasm.s)).toBeLessThan(1e-5);
    expect(maxAbsDiff(out.cpu.g, out.wasm.g)).toBeLessThan(1e-5);
    await tf.setBackend('cpu');
  });

  it('leaks no tensors over a forward and backward pass', () => {
    const z = tf.randomNormal([3, 4, 4], 0, 0.3, 'float32', 1);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const g = tf.grad((zz: tf.Tensor) => tf.sum(s2dtwSimilarity(zz)) as tf.Scalar)(z);
      g.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    z.dispose();
  });
});
