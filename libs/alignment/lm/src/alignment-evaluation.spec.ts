import * as tf from '@tensorflow/tfjs';
import {
  BradleyTerryRewardModel,
  IGNORE_INDEX,
  bradleyTerryLoss,
  evaluateLogProbDrift,
} from '@tessera/alignment/preference';
import { InvalidInputError } from '@tessera/common';
import { gradientCheckVariables } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatAlignmentTable, leastSquaresLine, pearson, summariseAlignmentRows } from './alignment-evaluation';
import { ByteTokenizer } from './byte-tokenizer';
import { sampleAndJudge } from './judge-samples';
import type { PreferenceEvaluationRow } from './preference-evaluation';
import { encodeSampled, sampleCompletions } from './sample-completions';
import { TransformerLm } from './transformer-lm';

const tok = new ByteTokenizer();
const tiny = (seed = 1, contextLength = 32) =>
  new TransformerLm({ vocabSize: tok.vocabSize, contextLength, dModel: 16, nHeads: 2, nLayers: 1, seed }, tok);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TransformerLm.logitsAt', () => {
  it('equals the full logits read at each row’s position', () => {
    const m = tiny();
    const ids = tf.tensor2d(
      [
        [257, 10, 20, 30],
        [257, 11, 0, 0],
      ],
      undefined,
      'int32',
    );
    const full = m.logits(ids).arraySync();
    const at = m.logitsAt(ids, [3, 1]).arraySync();
    full[0][3].forEach((x, j) => expect(at[0][j]).toBeCloseTo(x, 5));
    full[1][1].forEach((x, j) => expect(at[1][j]).toBeCloseTo(x, 5));
    m.dispose();
  });
});

describe('sampleCompletions', () => {
  const prompts = ['hello there', 'a much longer prompt that will not fit in the window at all', 'x'];

  it('is seeded per row: the same seed gives the same tokens whatever the batch size', async () => {
    const m = tiny();
    const a = await sampleCompletions(m, prompts, { maxTokens: 6, seed: 3, batchSize: 3 });
    const b = await sampleCompletions(m, prompts, { maxTokens: 6, seed: 3, batchSize: 1 });
    const c = await sampleCompletions(m, prompts, { maxTokens: 6, seed: 4, batchSize: 3 });
    expect(b).toEqual(a);
    expect(c.map((s) => s.tokens)).not.toEqual(a.map((s) => s.tokens));
    for (const s of a) {
      expect(s.tokens.length).toBeGreaterThan(0);
      expect(s.tokens.length).toBeLessThanOrEqual(6);
      expect(s.contextIds.length + 6).toBeLessThanOrEqual(32);
      expect(s.contextIds[0]).toBe(tok.bosId);
      expect(s.finishedWithEos).toBe(s.tokens[s.tokens.length - 1] === tok.eosId);
    }
    // The long prompt is cut from the left to BOS + 25 ids.
    expect(a[1].contextIds.length).toBe(32 - 1 - 6 + 1);
    await expect(sampleCompletions(m, prompts, { maxTokens: 31 })).rejects.toThrow(InvalidInputError);
    m.dispose();
  });

  it('encodes samples so that only the drawn tokens are labelled', () => {
    const enc = encodeSampled(
      [
        { contextIds: [257, 5], tokens: [6, 258], finishedWithEos: true },
        { contextIds: [257], tokens: [7], finishedWithEos: false },
      ],
      tok.padId,
    );
    expect(enc.inputIds.arraySync()).toEqual([
      [257, 5, 6, 258],
      [257, 7, tok.padId, tok.padId],
    ]);
    expect(enc.labels.arraySync()).toEqual([
      [IGNORE_INDEX, IGNORE_INDEX, 6, 258],
      [IGNORE_INDEX, 7, IGNORE_INDEX, IGNORE_INDEX],
    ]);
  });
});

describe('drift and judged samples on a tiny LM', () => {
  it('a policy equal to its reference has zero drift and zero sampled KL; the judge scores every sample', async () => {
    const policy = tiny(2);
    const reference = policy.frozenCopy();
    const drift = await evaluateLogProbDrift(policy, reference, [
      { prompt: 'hi', completion: 'hello' },
      { prompt: 'bye', completion: 'see you' },
    ]);
    expect(drift.perToken).toBe(0);
    expect(drift.perSequence).toBe(0);
    const judgeLm = tiny(9);
    const judge = new BradleyTerryRewardModel(judgeLm, { seed: 1 });
    const judged = await sampleAndJudge(policy, reference, judge, ['hi', 'bye', 'what'], { maxTokens: 5, seed: 1 });
    expect(Array.from(judged.logRatios)).toEqual([0, 0, 0]);
    expect(judged.rewards.every((r) => Number.isFinite(r))).toBe(true);
    // The judge reads the same rows the same way whether scored from text or from ids.
    const text = await Promise.all(judged.samples.map((s) => tok.decode(s.tokens)));
    expect(text.length).toBe(3);
    judge.dispose();
    for (const m of [policy, reference, judgeLm]) m.dispose();
  });

  it('refuses a judge with another tokenizer', async () => {
    const policy = tiny(2);
    const judgeLm = tiny(3);
    const judge = new BradleyTerryRewardModel(judgeLm);
    Object.defineProperty(judge, 'tokenizerFingerprint', { value: 'other' });
    await expect(sampleAndJudge(policy, policy, judge, ['hi'], { maxTokens: 2, seed: 1 })).rejects.toThrow(
      InvalidInputError,
    );
    judge.dispose();
    policy.dispose();
    judgeLm.dispose();
  });

  it('the reward model on a TransformerLm backbone passes a gradient check (head and backbone weights)', async () => {
    const lm = tiny(4, 16);
    const rm = new BradleyTerryRewardModel(lm, { seed: 2 });
    const enc = await lm.encodeCompletions([
      { prompt: 'q', completion: 'good' },
      { prompt: 'r', completion: 'ok' },
      { prompt: 'q', completion: 'bad!' },
      { prompt: 'r', completion: 'no' },
    ]);
    const labels = await enc.labels.data();
    const f = () => {
      const r = rm.rewards(enc.inputIds, labels);
      return bradleyTerryLoss(tf.slice(r, [0], [2]), tf.slice(r, [2], [2])).loss;
    };
    const vars = [
      rm.headWeight,
      rm.headBias,
      lm.trainableVariables().find((v) => v.shape.length === 2 && v.shape[0] === 16)!,
    ];
    // eps 3e-3: position embeddings are small, so 1e-2 steps bend through the layer norms; smaller drowns in float32.
    const res = gradientCheckVariables(f, vars, { eps: 3e-3, rtol: 2e-2, atol: 5e-3, maxPerInput: 24 });
    expect(res.maxRelError).toBeLessThan(2e-2);
    rm.dispose();
    lm.dispose();
  });
});

describe('summariseAlignmentRows / formatAlignmentTable', () => {
  const row = (algorithm: 'sft' | 'dpo', seed: number, accuracy: number, win?: number): PreferenceEvaluationRow => ({
    algorithm,
    seed,
    accuracy,
    margin: accuracy / 10,
    loss: 0,
    rewardChosen: 0,
    rewardRejected: 0,
    count: 10,
    policyLogProbAccuracy: 0.5,
    meanLogRatio: 0,
    steps: 1,
    seconds: 1,
    driftPerToken: -0.1,
    ...(win === undefined
      ? {}
      : {
          generation: {
            winRate: win,
            wins: 0,
            ties: 0,
            losses: 0,
            prompts: 4,
            meanReward: 0,
            sftMeanReward: 0,
            sampledKl: 1,
            meanSampleTokens: 3,
          },
        }),
  });

  it('gives mean and sample sd per algorithm; a metric missing in one seed is left out', () => {
    const s = summariseAlignmentRows([
      row('sft', 1, 0, 0.5),
      row('dpo', 1, 0.6, 0.7),
      row('sft', 2, 0, 0.5),
      row('dpo', 2, 0.7),
    ]);
    expect(s.map((x) => x.algorithm)).toEqual(['sft', 'dpo']);
    expect(s[1].accuracy.mean).toBeCloseTo(0.65, 10);
    expect(s[1].accuracy.sd).toBeCloseTo(Math.sqrt(0.005), 10);
    expect(s[0].winRate).toEqual({ mean: 0.5, sd: 0, values: [0.5, 0.5] });
    expect(s[1].winRate).toBeUndefined();
    const table = formatAlignmentTable({
      summary: s,
      judge: {
        seed: 1,
        pooling: 'last',
        sftSteps: 1,
        steps: 1,
        seconds: 1,
        heldOut: { accuracy: 0.6, margin: 0, loss: 0, count: 10 },
        train: { accuracy: 0.7, margin: 0, loss: 0, count: 10 },
        lengthBias: {
          judgePrefersShorter: 0.6,
          humanPrefersShorter: 0.55,
          rewardLengthCorrelation: -0.2,
          slope: -0.01,
          intercept: 0,
          pairs: 9,
        },
      },
    });
    expect(table).toContain('| dpo | 2 | 0.650 ± 0.071 |');
    expect(table).toContain('held-out pair accuracy 0.600');
    expect(table).toContain('prefers the shorter completion in 0.600');
  });

  it('pearson and least squares: known answers', () => {
    expect(leastSquaresLine([1, 2, 3], [3, 5, 7])).toEqual({ slope: 2, intercept: 1 });
    expect(leastSquaresLine([2, 2], [1, 3])).toEqual({ slope: 0, intercept: 2 });
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
