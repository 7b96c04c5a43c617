import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  PreferenceTrainer,
  TrainingDivergedError,
  evaluatePreferencePairs,
  parseBcoConfig,
  parseDpoConfig,
  parseKtoConfig,
  type BinaryFeedback,
  type PreferencePair,
} from '@tessera/alignment/preference';
import { InvalidInputError } from '@tessera/common';
import { assertNoLeak } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ByteTokenizer } from './byte-tokenizer';
import { loadLmCheckpoint, saveLmCheckpoint } from './lm-checkpoint';
import { TransformerLm } from './transformer-lm';

const tok = new ByteTokenizer();
const makeLm = (contextLength = 32) =>
  new TransformerLm({ vocabSize: tok.vocabSize, contextLength, dModel: 16, nHeads: 2, nLayers: 1, seed: 3 }, tok);

// Toy preference: after any "Qn:" prompt, " yes" is preferred to " no".
const pairs = (from: number, to: number): PreferencePair[] =>
  Array.from({ length: to - from }, (_, i) => ({
    id: `p${from + i}`,
    prompt: `Q${from + i}:`,
    chosen: ' yes',
    rejected: ' no',
    source: 'toy',
  }));
const thumbs = (ps: PreferencePair[]): BinaryFeedback[] =>
  ps.flatMap((p) => [
    { id: `${p.id}+`, prompt: p.prompt, completion: p.chosen, label: true, source: 'toy' },
    { id: `${p.id}-`, prompt: p.prompt, completion: p.rejected, label: false, source: 'toy' },
  ]);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('PreferenceTrainer', () => {
  it('refuses a reference whose tokenizer differs from the policy tokenizer', () => {
    const policy = makeLm();
    const other = { ...policy, tokenizerFingerprint: 'something-else' } as unknown as TransformerLm;
    expect(() => new PreferenceTrainer({ policy, reference: other, config: parseDpoConfig() })).toThrow(
      InvalidInputError,
    );
    expect(() => new PreferenceTrainer({ policy, reference: policy, config: parseDpoConfig() })).toThrow(/separate/);
    policy.dispose();
  });

  it('first step against an identical reference: DPO ln 2, KTO 0.5, BCO ln 2 with δ = 0', async () => {
    const policy = makeLm();
    const reference = policy.frozenCopy();
    expect(reference.trainableVariables()).toEqual([]);
    const batch = pairs(0, 4);
    const dpo = new PreferenceTrainer({ policy, reference, config: parseDpoConfig({ batchSize: 4 }) });
    expect((await dpo.stepPaired(batch)).loss).toBeCloseTo(Math.LN2, 5);
    policy.copyWeightsFrom(reference);
    const kto = new PreferenceTrainer({ policy, reference, config: parseKtoConfig() });
    const k = await kto.stepUnpaired(thumbs(batch));
    expect(k.loss).toBeCloseTo(0.5, 5);
    expect(k.z0).toBe(0);
    policy.copyWeightsFrom(reference);
    const bco = new PreferenceTrainer({ policy, reference, config: parseBcoConfig() });
    const b = await bco.stepUnpaired(thumbs(batch));
    expect(b.loss).toBeCloseTo(Math.LN2, 5);
    expect(b.delta).toBeCloseTo(0, 6);
    [dpo, kto, bco].forEach((t) => t.dispose());
    policy.dispose();
    reference.dispose();
  });

  it('DPO training raises held-out implicit-reward accuracy and margin above the start', async () => {
    const policy = makeLm();
    const reference = policy.frozenCopy();
    const heldOut = pairs(50, 60);
    const before = await evaluatePreferencePairs(policy, reference, heldOut);
    expect(before.accuracy).toBe(0); // identical models: every reward is 0, ties are misses
    const trainer = new PreferenceTrainer({
      policy,
      reference,
      config: parseDpoConfig({ batchSize: 8, epochs: 4, learningRate: 3e-3, beta: 0.5 }),
    });
    const progress: number[] = [];
    const res = await trainer.train(pairs(0, 32), { onProgress: (p) => progress.push(p.loss) });
    expect(res.steps).toBe(16);
    expect(progress.at(-1)!).toBeLessThan(progress[0]);
    const after = await evaluatePreferencePairs(policy, reference, heldOut, { beta: 0.5 });
    expect(after.accuracy).toBeGreaterThan(0.5);
    expect(after.margin).toBeGreaterThan(0);
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });

  it('BCO tracks δ as the cumulative mean of all rewards; KTO and BCO train from pairs by unpairing them', async () => {
    const policy = makeLm();
    const reference = policy.frozenCopy();
    const bco = new PreferenceTrainer({
      policy,
      reference,
      config: parseBcoConfig({ batchSize: 8, maxSteps: 3, learningRate: 3e-3 }),
    });
    const res = await bco.train(pairs(0, 16));
    expect(res.steps).toBe(3);
    const state = bco.state();
    expect(state.runningMean!.count).toBeCloseTo(24, 6);
    expect(res.history.at(-1)!.delta).toBeCloseTo(state.runningMean!.mean, 6);
    const kto = new PreferenceTrainer({ policy, reference, config: parseKtoConfig({ batchSize: 8, maxSteps: 2 }) });
    const kr = await kto.train(pairs(0, 16));
    expect(kr.history.every((h) => Number.isFinite(h.loss) && h.z0! >= 0)).toBe(true);
    [bco, kto].forEach((t) => t.dispose());
    policy.dispose();
    reference.dispose();
  });

  it('BCO + UDM fits the prompt classifier once, weights rejected rows, and saves it with the checkpoint', async () => {
    const policy = makeLm();
    const reference = policy.frozenCopy();
    // Stub embedder: thumbs-down prompts come from a different "distribution" (odd numbers).
    const embed = (ps: string[]) => ps.map((p) => [Number(p.slice(1, -1)) % 2, p.length]);
    const rows = thumbs(pairs(0, 12)).filter((r, i) => (r.label ? i % 4 === 0 : i % 4 === 3) || i < 8);
    expect(
      () => new PreferenceTrainer({ policy, reference, config: parseBcoConfig({ udm: { enabled: true } }) }),
    ).toThrow(InvalidInputError);
    const dir = join(mkdtempSync(join(tmpdir(), 'pref-')), 'policy');
    const trainer = new PreferenceTrainer({
      policy,
      reference,
      config: parseBcoConfig({ batchSize: 6, maxSteps: 2, udm: { enabled: true } }),
      promptEmbedder: embed,
      saveCheckpoint: async (step, state) => {
        await saveLmCheckpoint(dir, policy, { modelId: 'toy-bco', data: 'toy' }, { step, state: { ...state } });
        return dir;
      },
    });
    const res = await trainer.train(rows);
    expect(res.lastCheckpoint).toBe(dir);
    const loaded = await loadLmCheckpoint(dir);
    expect(loaded.meta.step).toBe(2);
    expect(loaded.state?.densityRatio).toBeDefined();
    const resumed = new PreferenceTrainer({
      policy: loaded.model,
      reference,
      config: trainer.config,
      promptEmbedder: embed,
    });
    resumed.restoreState(loaded.state as never);
    expect(resumed.state()).toEqual(trainer.state());
    [trainer, resumed].forEach((t) => t.dispose());
    [policy, reference, loaded.model].forEach((m) => m.dispose());
  });

  it('a NaN loss stops training with a clear error, keeps the weights and names the last good checkpoint', async () => {
    const policy = makeLm();
    const reference = policy.frozenCopy();
    const saved: number[] = [];
    const trainer = new PreferenceTrainer({
      policy,
      reference,
      config: parseDpoConfig({ batchSize: 4, checkpointEvery: 1 }),
      saveCheckpoint: async (step) => {
        saved.push(step);
        return `ckpt-${step}`;
      },
    });
    await trainer.train(pairs(0, 4));
    // Poison one weight: every logit, hence the loss, becomes NaN.
    const [poisoned, other] = policy.trainableVariables();
    poisoned.assign(tf.fill(poisoned.shape, Number.NaN));
    const otherBefore = Array.from(other.dataSync());
    const err = await trainer.train(pairs(0, 4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as Error).message).toMatch(/non-finite at step 2.*last good checkpoint: ckpt-1/);
    expect(Array.from(other.dataSync())).toEqual(otherBefore);
    expect(saved).toEqual([1, 1]);
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });

  it('reports prompts truncated to fit the context as a warning', async () => {
    const policy = makeLm(16);
    const reference = policy.frozenCopy();
    const warnings: string[] = [];
    const trainer = new PreferenceTrainer({
      policy,
      reference,
      config: parseDpoConfig({ batchSize: 2 }),
      onWarning: (w) => warnings.push(w),
    });
    const long: PreferencePair[] = [
      { id: 'l', prompt: 'a very long prompt that cannot fit', chosen: ' yes', rejected: ' no', source: 'toy' },
      ...pairs(0, 1),
    ];
    const res = await trainer.train(long);
    expect(res.truncatedPrompts).toBe(1);
    expect(warnings.join('\n')).toMatch(/1 prompt\(s\) were cut from the left/);
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });

  it('DPO and BCO steps leak no tensors; bad configs are refused', async () => {
    const policy = makeLm();
    const reference = policy.frozenCopy();
    const dpo = new PreferenceTrainer({ policy, reference, config: parseDpoConfig() });
    const bco = new PreferenceTrainer({ policy, reference, config: parseBcoConfig() });
    expect(await assertNoLeak(() => dpo.stepPaired(pairs(0, 2)))).toBe(0);
    expect(await assertNoLeak(() => bco.stepUnpaired(thumbs(pairs(0, 2))))).toBe(0);
    expect(() => parseBcoConfig({ beta: -1 })).toThrow(InvalidInputError);
    expect(() => parseDpoConfig({ loss: 'nope' as never })).toThrow(/loss/);
    await expect(dpo.train(thumbs(pairs(0, 2)))).rejects.toThrow(/paired/);
    [dpo, bco].forEach((t) => t.dispose());
    policy.dispose();
    reference.dispose();
  });
});
