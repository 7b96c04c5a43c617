import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunningMean } from '../running-mean';
import { bceLoss } from './bce.loss';
import { bcoLoss } from './bco.loss';
import { dpoHingeLoss } from './dpo-hinge.loss';
import { dpoIpoLoss } from './dpo-ipo.loss';
import { dpoSigmoidLoss } from './dpo-sigmoid.loss';
import { ktoImbalanceWarning, ktoLoss, ktoReferencePoint, mismatchCompletions } from './kto.loss';
import { isPairedLossName, pairedLosses, unpairedLosses } from './preference-losses';
import { centralDiff, mean, refBco, refDpo, refKto, sigmoid, softplus } from './preference-reference.testing';

const t1 = (xs: number[]) => tf.tensor1d(xs, 'float32');
const v = async (t: tf.Tensor) => Array.from(await t.data());

// Spec section 7: β = 0.1, chosen −10/−12 (lr_w = 2), rejected −15/−14 (lr_l = −1).
const KNOWN = { pw: -10, rw: -12, pl: -15, rl: -14, beta: 0.1 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DPO sigmoid (known answers, spec §7)', () => {
  it('loss is 0.554355 and the gradients ∓0.042556', () => {
    const f = (pw: tf.Tensor, pl: tf.Tensor) =>
      dpoSigmoidLoss({
        policyChosen: pw as tf.Tensor1D,
        policyRejected: pl as tf.Tensor1D,
        referenceChosen: t1([KNOWN.rw]),
        referenceRejected: t1([KNOWN.rl]),
      }).loss;
    const pw = t1([KNOWN.pw]);
    const pl = t1([KNOWN.pl]);
    expect(f(pw, pl).dataSync()[0]).toBeCloseTo(0.554355, 5);
    const [gw, gl] = tf.grads(f)([pw, pl]);
    expect(gw.dataSync()[0]).toBeCloseTo(-0.042556, 5);
    expect(gl.dataSync()[0]).toBeCloseTo(0.042556, 5);
    expect(refDpo([KNOWN.pw], [KNOWN.pl], [KNOWN.rw], [KNOWN.rl], 0.1)[0]).toBeCloseTo(0.554355, 6);
  });

  it('equal chosen and rejected log-ratios give ln 2, with rewards and accuracy reported', async () => {
    const out = dpoSigmoidLoss({
      policyChosen: t1([-3, -7]),
      policyRejected: t1([-4, -1]),
      referenceChosen: t1([-5, -7]),
      referenceRejected: t1([-6, -1]),
    });
    expect(await v(out.losses)).toEqual([expect.closeTo(Math.LN2, 6), expect.closeTo(Math.LN2, 6)]);
    expect(await v(out.chosenRewards)).toEqual([expect.closeTo(0.2, 6), expect.closeTo(0, 6)]);
  });

  it('label smoothing ε mixes the flipped loss', () => {
    const b = {
      policyChosen: t1([KNOWN.pw]),
      policyRejected: t1([KNOWN.pl]),
      referenceChosen: t1([KNOWN.rw]),
      referenceRejected: t1([KNOWN.rl]),
    };
    const got = dpoSigmoidLoss(b, { labelSmoothing: 0.1 }).loss.dataSync()[0];
    expect(got).toBeCloseTo(0.9 * softplus(-0.3) + 0.1 * softplus(0.3), 5);
  });

  it('matches the float64 reference on a random batch, and central differences', () => {
    const rng = new Rng(7);
    const n = 16;
    const r = () => Array.from({ length: n }, () => -20 + 10 * rng.next());
    const [pw, pl, rw, rl] = [r(), r(), r(), r()];
    const beta = 0.3;
    const out = dpoSigmoidLoss(
      { policyChosen: t1(pw), policyRejected: t1(pl), referenceChosen: t1(rw), referenceRejected: t1(rl) },
      { beta },
    );
    const ref = refDpo(pw, pl, rw, rl, beta);
    out.losses.dataSync().forEach((x, i) => expect(x).toBeCloseTo(ref[i], 5));
    // Gradient w.r.t. the policy chosen log-probs: TF.js vs float64 central differences.
    const g = tf.grad(
      (x: tf.Tensor) =>
        dpoSigmoidLoss(
          {
            policyChosen: x as tf.Tensor1D,
            policyRejected: t1(pl),
            referenceChosen: t1(rw),
            referenceRejected: t1(rl),
          },
          { beta },
        ).loss,
    )(t1(pw));
    const num = centralDiff((x) => mean(refDpo(x, pl, rw, rl, beta)), pw, 1e-2);
    const closed = pw.map((_, i) => (-beta * sigmoid(-(beta * (pw[i] - rw[i] - pl[i] + rl[i])))) / n);
    g.dataSync().forEach((x, i) => {
      expect(Math.abs(x - num[i])).toBeLessThan(1e-3 * Math.abs(num[i]) + 1e-7);
      expect(Math.abs(x - closed[i])).toBeLessThan(1e-3 * Math.abs(closed[i]) + 1e-7);
    });
  });

  it('float32 central differences (h = 1e-2) through the TF.js loss agree with tf.grad', () => {
    const pw = [-10, -3.5, -8];
    const fixed = {
      policyRejected: t1([-15, -4, -9]),
      referenceChosen: t1([-12, -3, -7.5]),
      referenceRejected: t1([-14, -6, -8]),
    };
    const f = (x: number[]) => dpoSigmoidLoss({ policyChosen: t1(x), ...fixed }).loss.dataSync()[0];
    const num = centralDiff(f, pw, 1e-2);
    const g = tf
      .grad((x: tf.Tensor) => dpoSigmoidLoss({ policyChosen: x as tf.Tensor1D, ...fixed }).loss)(t1(pw))
      .dataSync();
    g.forEach((x, i) => expect(Math.abs(x - num[i]) / Math.abs(num[i])).toBeLessThan(1e-2));
  });

  it('is invariant to any reward shift δ (only the margin enters)', () => {
    const base = dpoSigmoidLoss({
      policyChosen: t1([-10]),
      policyRejected: t1([-15]),
      referenceChosen: t1([-12]),
      referenceRejected: t1([-14]),
    }).loss.dataSync()[0];
    // Shifting both log-ratios by 7 shifts both rewards by the same δ = 0.7.
    const shifted = dpoSigmoidLoss({
      policyChosen: t1([-3]),
      policyRejected: t1([-8]),
      referenceChosen: t1([-12]),
      referenceRejected: t1([-14]),
    }).loss.dataSync()[0];
    expect(shifted).toBeCloseTo(base, 5);
  });

  it('rejects mismatched lengths, wrong rank, empty batches and a bad β', () => {
    const ok = {
      policyChosen: t1([1, 2]),
      policyRejected: t1([1, 2]),
      referenceChosen: t1([1, 2]),
      referenceRejected: t1([1, 2]),
    };
    expect(() => dpoSigmoidLoss({ ...ok, referenceRejected: t1([1]) })).toThrow(DimensionMismatchError);
    expect(() => dpoSigmoidLoss({ ...ok, referenceRejected: tf.tensor2d([[1, 2]]) as unknown as tf.Tensor1D })).toThrow(
      InvalidInputError,
    );
    const empty = t1([]);
    expect(() =>
      dpoSigmoidLoss({ policyChosen: empty, policyRejected: empty, referenceChosen: empty, referenceRejected: empty }),
    ).toThrow(InvalidInputError);
    expect(() => dpoSigmoidLoss(ok, { beta: 0 })).toThrow(/beta/);
  });
});

describe('DPO variants', () => {
  const b = () => ({
    policyChosen: t1([KNOWN.pw, -5]),
    policyRejected: t1([KNOWN.pl, -5]),
    referenceChosen: t1([KNOWN.rw, -5]),
    referenceRejected: t1([KNOWN.rl, -5]),
  });
  it('hinge: max(0, 1 − βΔ) = 0.7 for the known pair and 1 for equal log-ratios', async () => {
    expect(await v(dpoHingeLoss(b()).losses)).toEqual([expect.closeTo(0.7, 6), expect.closeTo(1, 6)]);
  });
  it('IPO: (Δ − 1/(2β))² = (3 − 5)² = 4 for the known pair and 25 for equal log-ratios', async () => {
    expect(await v(dpoIpoLoss(b()).losses)).toEqual([expect.closeTo(4, 4), expect.closeTo(25, 4)]);
  });
  it('the typed map picks losses by name', () => {
    expect(isPairedLossName('dpo-sigmoid')).toBe(true);
    expect(isPairedLossName('kto')).toBe(false);
    expect(pairedLosses['dpo-sigmoid'](b()).loss.dataSync()[0]).toBeCloseTo((0.554355 + Math.LN2) / 2, 5);
    expect(Object.keys(unpairedLosses).sort()).toEqual(['bce', 'bco', 'kto']);
  });
});

describe('BCE and BCO (known answers, spec §7)', () => {
  const batch = () => ({ policy: t1([KNOWN.pw, KNOWN.pl]), reference: t1([KNOWN.rw, KNOWN.rl]), labels: t1([1, 0]) });

  it('BCE per sample [0.598139, 0.644397], mean 0.621268; sum − DPO = 0.688180', async () => {
    const out = bceLoss(batch());
    const per = await v(out.losses);
    expect(per[0]).toBeCloseTo(0.598139, 5);
    expect(per[1]).toBeCloseTo(0.644397, 5);
    expect(out.loss.dataSync()[0]).toBeCloseTo(0.621268, 5);
    expect(per[0] + per[1] - 0.554355).toBeCloseTo(0.68818, 5);
  });

  it('δ from the first running-mean update is 0.05; BCO per sample 0.620957; gap = log(1 + sech(0.15))', async () => {
    const shift = new RunningMean();
    const out0 = bceLoss(batch());
    const delta = shift.update(await out0.rewards.data());
    expect(delta).toBeCloseTo(0.05, 6);
    const out = bcoLoss(batch(), { delta });
    const per = await v(out.losses);
    expect(per[0]).toBeCloseTo(0.620957, 5);
    expect(per[1]).toBeCloseTo(0.620957, 5);
    expect(out.loss.dataSync()[0]).toBeCloseTo(0.620957, 5);
    expect(per[0] + per[1] - 0.554355).toBeCloseTo(0.687559, 5);
    expect(Math.log(1 + 1 / Math.cosh(0.15))).toBeCloseTo(0.687559, 6);
  });

  it('per-sample gradients ∂BCO_w/∂logπ(y_w) = −0.046257 and ∂BCO_l/∂logπ(y_l) = +0.046257', () => {
    const g = tf.grad((p: tf.Tensor) =>
      tf.sum(
        bcoLoss({ policy: p as tf.Tensor1D, reference: t1([KNOWN.rw, KNOWN.rl]), labels: t1([1, 0]) }, { delta: 0.05 })
          .losses,
      ),
    )(t1([KNOWN.pw, KNOWN.pl]));
    const [gw, gl] = g.dataSync();
    expect(gw).toBeCloseTo(-0.046257, 5);
    expect(gl).toBeCloseTo(0.046257, 5);
  });

  it('first batch with all rewards equal: δ = r and every loss is ln 2', async () => {
    const b = { policy: t1([-3, -8, -1]), reference: t1([-5, -10, -3]), labels: t1([1, 0, 1]) };
    const delta = new RunningMean().update(await bceLoss(b).rewards.data());
    expect(delta).toBeCloseTo(0.2, 6);
    (await v(bcoLoss(b, { delta }).losses)).forEach((x) => expect(x).toBeCloseTo(Math.LN2, 6));
  });

  it('UDM weights multiply undesirable rows only', async () => {
    const out = bcoLoss(batch(), { delta: 0, udmWeights: t1([7, 4]) });
    const per = await v(out.losses);
    expect(per[0]).toBeCloseTo(0.598139, 5);
    expect(per[1]).toBeCloseTo(4 * 0.644397, 4);
  });

  it('matches the float64 reference on a random batch; gradients match central differences', () => {
    const rng = new Rng(11);
    const n = 12;
    const p = Array.from({ length: n }, () => -30 + 20 * rng.next());
    const r = Array.from({ length: n }, () => -30 + 20 * rng.next());
    const labels = Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0));
    const w = Array.from({ length: n }, () => 0.5 + 9.5 * rng.next());
    const beta = 0.2;
    const delta = 0.37;
    const ref = refBco(p, r, labels, beta, delta, w);
    const out = bcoLoss({ policy: t1(p), reference: t1(r), labels: t1(labels) }, { beta, delta, udmWeights: t1(w) });
    out.losses.dataSync().forEach((x, i) => expect(x).toBeCloseTo(ref[i], 4));
    const g = tf
      .grad(
        (x: tf.Tensor) =>
          bcoLoss(
            { policy: x as tf.Tensor1D, reference: t1(r), labels: t1(labels) },
            { beta, delta, udmWeights: t1(w) },
          ).loss,
      )(t1(p))
      .dataSync();
    const num = centralDiff((x) => mean(refBco(x, r, labels, beta, delta, w)), p, 1e-2);
    g.forEach((x, i) => expect(Math.abs(x - num[i])).toBeLessThan(1e-3 * Math.abs(num[i]) + 1e-7));
  });
});

describe('bound and shift properties (float64)', () => {
  it('L_DPO ≤ L_BCE for random (a, b), and the gap is smallest at δ* = (a + b)/2', () => {
    const rng = new Rng(3);
    const gap = (a: number, b: number, d: number) => softplus(-(a - d)) + softplus(b - d) - softplus(-(a - b));
    let checked = 0;
    for (let k = 0; k < 200; k++) {
      const a = 6 * rng.normal();
      const b = 6 * rng.normal();
      expect(softplus(-(a - b))).toBeLessThanOrEqual(softplus(-a) + softplus(b) + 1e-12);
      const star = (a + b) / 2;
      expect(gap(a, b, star)).toBeCloseTo(Math.log(1 + 1 / Math.cosh((a - b) / 2)), 9);
      for (const d of [star - 0.5, star + 0.5, star - 3, star + 3, 0])
        expect(gap(a, b, star)).toBeLessThanOrEqual(gap(a, b, d) + 1e-12);
      checked++;
    }
    expect(checked).toBe(200);
  });
});

describe('KTO (known answers, spec §7)', () => {
  it('per sample 1 − σ(0.15) = 0.462570 with z0 = 0.5; gradient −0.024860', async () => {
    const out = ktoLoss(
      { policy: t1([KNOWN.pw, KNOWN.pl]), reference: t1([KNOWN.rw, KNOWN.rl]), labels: t1([1, 0]) },
      { z0: 0.5 },
    );
    const per = await v(out.losses);
    expect(per[0]).toBeCloseTo(0.46257, 5);
    expect(per[1]).toBeCloseTo(0.46257, 5);
    const g = tf.grad((p: tf.Tensor) =>
      tf.sum(
        ktoLoss({ policy: p as tf.Tensor1D, reference: t1([KNOWN.rw, KNOWN.rl]), labels: t1([1, 0]) }, { z0: 0.5 })
          .losses,
      ),
    )(t1([KNOWN.pw, KNOWN.pl]));
    expect(g.dataSync()[0]).toBeCloseTo(-0.02486, 5);
  });

  it('z0 = max(0, mean of mismatched log-ratios): [−0.3, 0.1] gives 0, [0.3, 0.5] gives 0.4', async () => {
    expect(await ktoReferencePoint(t1([-0.3, 0.1]), t1([0, 0]))).toBe(0);
    expect(await ktoReferencePoint(t1([-1.7, -1.5]), t1([-2, -2]))).toBeCloseTo(0.4, 6);
  });

  it('mismatchCompletions rotates completions by one', () => {
    const rows = [0, 1, 2, 3].map((i) => ({ prompt: `p${i}`, completion: `c${i}` }));
    expect(mismatchCompletions(rows).map((r) => `${r.prompt}:${r.completion}`)).toEqual([
      'p0:c3',
      'p1:c0',
      'p2:c1',
      'p3:c2',
    ]);
  });

  it('applies λ_D and λ_U and matches the float64 reference on a random batch', () => {
    const rng = new Rng(5);
    const n = 10;
    const p = Array.from({ length: n }, () => -20 + 10 * rng.next());
    const r = Array.from({ length: n }, () => -20 + 10 * rng.next());
    const labels = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const ref = refKto(p, r, labels, 0.1, 0.2, 1.5, 0.7);
    const out = ktoLoss(
      { policy: t1(p), reference: t1(r), labels: t1(labels) },
      { z0: 0.2, desirableWeight: 1.5, undesirableWeight: 0.7 },
    );
    out.losses.dataSync().forEach((x, i) => expect(x).toBeCloseTo(ref[i], 5));
    const g = tf
      .grad(
        (x: tf.Tensor) =>
          ktoLoss(
            { policy: x as tf.Tensor1D, reference: t1(r), labels: t1(labels) },
            { z0: 0.2, desirableWeight: 1.5, undesirableWeight: 0.7 },
          ).loss,
      )(t1(p))
      .dataSync();
    const num = centralDiff((x) => mean(refKto(x, r, labels, 0.1, 0.2, 1.5, 0.7)), p, 1e-2);
    g.forEach((x, i) => expect(Math.abs(x - num[i])).toBeLessThan(1e-3 * Math.abs(num[i]) + 1e-7));
  });

  it('warns when λ_D·n_D/(λ_U·n_U) leaves [1, 4/3]', () => {
    expect(ktoImbalanceWarning(100, 100)).toBeUndefined();
    expect(ktoImbalanceWarning(120, 100)).toBeUndefined();
    expect(ktoImbalanceWarning(1915, 541)).toMatch(/outside \[1, 4\/3\]/);
    expect(ktoImbalanceWarning(541, 1915, 1915 / 541, 1)).toBeUndefined();
  });

  it('does not leak tensors', () => {
    const p = t1([-1, -2]);
    const r = t1([-1.5, -2.5]);
    const labels = t1([1, 0]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(Object.values(ktoLoss({ policy: p, reference: r, labels }, { z0: 0 })));
    expect(tf.memory().numTensors).toBe(before);
  });
});
