import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import { gradientCheck, gradientCheckVariables } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EncodedCompletions, PromptCompletion } from '../causal-lm-policy.port';
import type { PreferencePair } from '../records/preference-example.types';
import { evaluateLogProbDrift } from '../evaluation/log-prob-drift';
import { winRate } from '../evaluation/win-rate';
import { IGNORE_INDEX } from '../sequence-log-prob';
import { BradleyTerryRewardModel } from './bradley-terry-reward-model';
import { bradleyTerryLoss } from './bradley-terry.loss';
import { pooledReward, poolingWeights } from './pooled-reward';
import { RewardModelTrainer, evaluateRewardModel } from './reward-model-trainer';
import type { SequenceBackbone } from './sequence-backbone.port';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * A tiny causal backbone for tests: characters as ids (BOS 1, EOS 2, pad 0), hidden state at t = the mean of the
 * token embeddings up to t (causal), logits = hidden · Eᵀ. It implements both ports, so the same object can be a
 * reward-model backbone and a policy.
 */
class CharBackbone implements SequenceBackbone {
  readonly tokenizerFingerprint = 'chars-32';
  readonly hiddenSize = 4;
  readonly vocab = 32;
  readonly emb: tf.Variable;

  constructor(seed = 1) {
    this.emb = tf.variable(tf.randomNormal([this.vocab, this.hiddenSize], 0, 0.5, 'float32', seed), true);
  }

  private ids(text: string): number[] {
    return [...text].map((c) => 3 + (c.charCodeAt(0) % (this.vocab - 3)));
  }

  async encodeCompletions(rows: readonly PromptCompletion[]): Promise<EncodedCompletions> {
    const packed = rows.map((r) => {
      const p = this.ids(r.prompt);
      const c = [...this.ids(r.completion), 2];
      return { ids: [1, ...p, ...c], start: 1 + p.length };
    });
    const width = Math.max(...packed.map((p) => p.ids.length));
    const ids = new Int32Array(rows.length * width);
    const labels = new Int32Array(rows.length * width).fill(IGNORE_INDEX);
    packed.forEach((p, r) =>
      p.ids.forEach((id, j) => {
        ids[r * width + j] = id;
        if (j >= p.start) labels[r * width + j] = id;
      }),
    );
    return {
      inputIds: tf.tensor2d(ids, [rows.length, width], 'int32'),
      labels: tf.tensor2d(labels, [rows.length, width], 'int32'),
      truncatedPrompts: [],
      truncatedCompletions: [],
    };
  }

  hiddenStates(inputIds: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = inputIds.shape;
    return tf.tidy(() => {
      const x = tf.reshape(tf.matMul(tf.reshape(tf.oneHot(inputIds, this.vocab), [b * t, this.vocab]), this.emb), [
        b,
        t,
        this.hiddenSize,
      ]);
      // Causal running mean as a matmul with a lower-triangular averaging matrix (cumsum's gradient is wrong on axis 1).
      const avg = tf.div(tf.linalg.bandPart(tf.ones([t, t]), -1, 0), tf.reshape(tf.range(1, t + 1), [t, 1]));
      const flat = tf.reshape(tf.transpose(x, [1, 0, 2]), [t, b * this.hiddenSize]);
      return tf.transpose(tf.reshape(tf.matMul(avg, flat), [t, b, this.hiddenSize]), [1, 0, 2]) as tf.Tensor3D;
    });
  }

  logits(inputIds: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = inputIds.shape;
    return tf.tidy(
      () =>
        tf.reshape(
          tf.matMul(tf.reshape(this.hiddenStates(inputIds), [b * t, this.hiddenSize]), this.emb, false, true),
          [b, t, this.vocab],
        ) as tf.Tensor3D,
    );
  }

  trainableVariables(): tf.Variable[] {
    return [this.emb];
  }

  dispose(): void {
    this.emb.dispose();
  }
}

describe('bradleyTerryLoss', () => {
  it('is ln 2 per pair when the rewards are equal', () => {
    const out = bradleyTerryLoss(tf.tensor1d([0.3, -1, 5]), tf.tensor1d([0.3, -1, 5]));
    expect(out.loss.dataSync()[0]).toBeCloseTo(Math.LN2, 6);
    out.losses.dataSync().forEach((l) => expect(l).toBeCloseTo(Math.LN2, 6));
  });

  it('matches −log σ(r_w − r_l) and its closed-form gradient −σ(r_l − r_w)/n', () => {
    const w = [1, 0.5, -2];
    const l = [0, 1, 1];
    const n = w.length;
    const expected = w.reduce((a, x, i) => a - Math.log(sigmoid(x - l[i])), 0) / n;
    expect(bradleyTerryLoss(tf.tensor1d(w), tf.tensor1d(l)).loss.dataSync()[0]).toBeCloseTo(expected, 5);
    // r_w − r_l = 1 → softplus(−1) = 0.313262.
    expect(bradleyTerryLoss(tf.tensor1d([1]), tf.tensor1d([0])).loss.dataSync()[0]).toBeCloseTo(0.313262, 5);
    const [gw, gl] = tf.grads(
      (a: tf.Tensor, b: tf.Tensor) => bradleyTerryLoss(a as tf.Tensor1D, b as tf.Tensor1D).loss,
    )([tf.tensor1d(w), tf.tensor1d(l)]);
    w.forEach((x, i) => {
      expect(gw.dataSync()[i]).toBeCloseTo(-sigmoid(l[i] - x) / n, 6);
      expect(gl.dataSync()[i]).toBeCloseTo(sigmoid(l[i] - x) / n, 6);
    });
  });

  it('refuses mismatched or empty batches', () => {
    expect(() => bradleyTerryLoss(tf.tensor1d([1, 2]), tf.tensor1d([1]))).toThrow(DimensionMismatchError);
    expect(() => bradleyTerryLoss(tf.tensor1d([]), tf.tensor1d([]))).toThrow(InvalidInputError);
  });
});

describe('pooled reward head', () => {
  const labels = [
    IGNORE_INDEX,
    IGNORE_INDEX,
    7,
    8,
    IGNORE_INDEX,
    IGNORE_INDEX,
    5,
    IGNORE_INDEX,
    IGNORE_INDEX,
    IGNORE_INDEX,
  ];

  it('pools the last completion token, or the mean over completion tokens; a row without one reads BOS', () => {
    const all = [...labels, ...Array(5).fill(IGNORE_INDEX)];
    expect(Array.from(poolingWeights(all, 3, 5, 'last').dataSync())).toEqual(
      // row 0: last scored at 3; row 1: at 1; row 2: none, so BOS.
      [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0],
    );
    const mean = Array.from(poolingWeights(all, 3, 5, 'mean').dataSync());
    expect(mean.slice(0, 5)).toEqual([0, 0, 0.5, 0.5, 0]);
    expect(mean.slice(5, 10)).toEqual([0, 1, 0, 0, 0]);
    expect(mean.slice(10)).toEqual([1, 0, 0, 0, 0]);
    expect(() => poolingWeights(all, 2, 5, 'last')).toThrow(DimensionMismatchError);
  });

  it('is r = pooled · w + b (known answer)', () => {
    const hidden = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    const weights = tf.tensor2d([[0.5, 0.5]]);
    // pooled = [2, 3]; r = 2·1 + 3·(−1) + 0.5 = −0.5.
    const r = pooledReward(hidden, weights, tf.tensor2d([[1], [-1]]), tf.tensor1d([0.5]));
    expect(r.dataSync()[0]).toBeCloseTo(-0.5, 6);
    expect(() => pooledReward(hidden, weights, tf.tensor2d([[1], [1], [1]]), tf.tensor1d([0]))).toThrow(
      DimensionMismatchError,
    );
  });

  for (const pooling of ['last', 'mean'] as const) {
    it(`head + Bradley–Terry loss pass a central-difference gradient check (${pooling} pooling)`, () => {
      const n = 3;
      const hidden = tf.randomNormal([2 * n, 4, 3], 0, 1, 'float32', 7) as tf.Tensor3D;
      const lab = [
        7,
        7,
        IGNORE_INDEX,
        IGNORE_INDEX,
        IGNORE_INDEX,
        4,
        4,
        4,
        IGNORE_INDEX,
        2,
        IGNORE_INDEX,
        IGNORE_INDEX,
      ];
      const weights = poolingWeights([...lab, ...lab], 2 * n, 4, pooling);
      const w = tf.randomNormal([3, 1], 0, 0.5, 'float32', 8);
      const b = tf.tensor1d([0.1]);
      const f = (h: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.tidy(() => {
          const r = pooledReward(h as tf.Tensor3D, weights, ww as tf.Tensor2D, bb as tf.Tensor1D);
          return bradleyTerryLoss(tf.slice(r, [0], [n]), tf.slice(r, [n], [n])).loss;
        });
      const res = gradientCheck(f, [hidden, w, b], { eps: 1e-2, rtol: 2e-2 });
      expect(res.checked).toBe(hidden.size + 3 + 1);
      expect(res.maxRelError).toBeLessThan(2e-2);
    });
  }
});

/** Chosen answers are made of 'a's, rejected of 'z's: separable by one token. */
function separablePairs(n: number): PreferencePair[] {
  const prompts = ['hi', 'help me', 'what now', 'tell me', 'ok'];
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    prompt: prompts[i % prompts.length],
    chosen: 'a'.repeat(1 + (i % 4)) + ' b',
    rejected: 'z'.repeat(1 + ((i + 1) % 4)) + ' b',
    source: 'test',
  }));
}

describe('BradleyTerryRewardModel + RewardModelTrainer', () => {
  it('gradients of the full model (backbone and head) pass a central-difference check', async () => {
    const backbone = new CharBackbone(3);
    const rm = new BradleyTerryRewardModel(backbone, { seed: 2 });
    const pairs = separablePairs(4);
    const enc = await backbone.encodeCompletions([
      ...pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
      ...pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
    ]);
    const labels = await enc.labels.data();
    const f = () => {
      const r = rm.rewards(enc.inputIds, labels);
      return bradleyTerryLoss(tf.slice(r, [0], [4]), tf.slice(r, [4], [4])).loss;
    };
    const res = gradientCheckVariables(f, rm.trainableVariables(), { eps: 1e-2, rtol: 2e-2, maxPerInput: 40 });
    expect(res.maxRelError).toBeLessThan(2e-2);
    rm.dispose();
    backbone.dispose();
  });

  it('learns a separable pair set (accuracy on its training pairs → 1) without leaking tensors', async () => {
    const backbone = new CharBackbone(5);
    const rm = new BradleyTerryRewardModel(backbone, { seed: 1 });
    const pairs = separablePairs(24);
    const before = await evaluateRewardModel(rm, pairs);
    expect(before.loss).toBeCloseTo(Math.LN2, 1);
    const trainer = new RewardModelTrainer(rm, {
      batchSize: 8,
      learningRate: 0.05,
      maxSteps: 40,
      epochs: 100,
      seed: 1,
    });
    await trainer.step(pairs.slice(0, 8));
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.step(pairs.slice(8, 16), i);
    expect(tf.memory().numTensors).toBe(tensors);
    const res = await trainer.train(pairs);
    expect(res.steps).toBe(40);
    const after = await evaluateRewardModel(rm, pairs);
    expect(after.accuracy).toBe(1);
    expect(after.margin).toBeGreaterThan(0);
    expect(after.loss).toBeLessThan(before.loss);
    // Ordinary scoring agrees with the training-time rewards.
    const s = await rm.score([
      { prompt: 'hi', completion: 'aaa b' },
      { prompt: 'hi', completion: 'zzz b' },
    ]);
    expect(s[0]).toBeGreaterThan(s[1]);
    trainer.dispose();
    rm.dispose();
    backbone.dispose();
  });

  it('refuses an empty training set', async () => {
    const backbone = new CharBackbone();
    const rm = new BradleyTerryRewardModel(backbone);
    const trainer = new RewardModelTrainer(rm);
    await expect(trainer.train([])).rejects.toThrow(InvalidInputError);
    await expect(evaluateRewardModel(rm, [])).rejects.toThrow(InvalidInputError);
    trainer.dispose();
    rm.dispose();
    backbone.dispose();
  });
});

describe('winRate', () => {
  it('counts wins, losses and ties as one half', () => {
    const r = winRate([1, 2, 3, 4], [0, 2, 5, 4]);
    expect(r).toEqual({ winRate: (1 + 2 / 2) / 4, wins: 1, ties: 2, losses: 1, count: 4 });
    expect(winRate([1, 1], [1, 1]).winRate).toBe(0.5);
    expect(winRate([2, 2], [1, 1]).winRate).toBe(1);
  });

  it('refuses mismatched, empty or non-finite scores', () => {
    expect(() => winRate([1], [1, 2])).toThrow(DimensionMismatchError);
    expect(() => winRate([], [])).toThrow(InvalidInputError);
    expect(() => winRate([NaN], [1])).toThrow(InvalidInputError);
  });
});

describe('evaluateLogProbDrift', () => {
  const rows = [
    { prompt: 'hi', completion: 'aaa' },
    { prompt: 'tell me', completion: 'z' },
    { prompt: 'ok', completion: 'ab ab' },
  ];

  it('is exactly 0 when the policy is its own reference', async () => {
    const m = new CharBackbone(2);
    const d = await evaluateLogProbDrift(m, m, rows, { batchSize: 2 });
    expect(d).toEqual({ perToken: 0, perSequence: 0, tokens: 4 + 2 + 6, count: 3 });
    m.dispose();
  });

  it('per token is the per-sequence log-ratio divided by each row’s token count', async () => {
    const a = new CharBackbone(2);
    const b = new CharBackbone(9);
    const d = await evaluateLogProbDrift(a, b, rows);
    const per = await Promise.all(
      rows.map(async (r) => {
        const x = await evaluateLogProbDrift(a, b, [r]);
        return x.perSequence / (r.completion.length + 1);
      }),
    );
    expect(d.perToken).toBeCloseTo(per.reduce((s, x) => s + x, 0) / 3, 5);
    expect(d.perSequence).not.toBe(0);
    await expect(evaluateLogProbDrift(a, b, [])).rejects.toThrow(InvalidInputError);
    a.dispose();
    b.dispose();
  });
});
