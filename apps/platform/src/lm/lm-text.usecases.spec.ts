import * as tf from '@tensorflow/tfjs';
import { ByteTokenizer, TransformerLm } from '@tessera/alignment/lm';
import { assertModelVersion, InvalidInputError, NotFoundError } from '@tessera/common';
import type { ModelRecord } from '@tessera/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerateLmTextUsecase } from './generate-lm-text.usecase';
import { finiteMetrics, lmVersionDir } from './lm-model.store';
import type { LmModels } from './lm-models.service';
import { ScoreLmTextUsecase } from './score-lm-text.usecase';

const tok = new ByteTokenizer();
let model: TransformerLm;

/** LmModels with one version in memory: the use cases need nothing else. */
const models = {
  get: async (version?: string) => {
    if (version && version !== 'v1' && version !== 'latest')
      throw new NotFoundError(`language-model version "${version}" does not exist`);
    return { record: { version: 'v1' } as ModelRecord, model };
  },
} as unknown as LmModels;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = new TransformerLm({ vocabSize: tok.vocabSize, contextLength: 16, dModel: 8, nHeads: 2, nLayers: 1 }, tok);
});

afterAll(() => model.dispose());

describe('GenerateLmTextUsecase', () => {
  const generate = new GenerateLmTextUsecase(models);

  it('continues a prompt that fits without warnings, the same text for the same seed', async () => {
    const a = await generate.execute({ prompt: 'hi', maxTokens: 4, seed: 7 });
    const b = await generate.execute({ prompt: 'hi', maxTokens: 4, seed: 7, model: 'v1' });
    expect(a).toMatchObject({ model: 'v1', warnings: [], usage: { promptTokens: 2 } });
    expect(a.tokens.length).toBeLessThanOrEqual(4);
    expect(b.text).toBe(a.text);
  });

  it('keeps the last tokens of a prompt longer than the window and says so', async () => {
    const out = await generate.execute({ prompt: 'abcdefghijklmnopqrstuvwxyz', maxTokens: 4, temperature: 0 });
    // 16-token window: BOS + 11 prompt tokens + room for 4
    expect(out.usage.promptTokens).toBe(11);
    expect(out.warnings[0]).toBe(
      'the prompt has 26 tokens but the context window is 16; only its last 11 tokens were used',
    );
  });

  it('refuses an empty prompt and out-of-range maxTokens; passes on an unknown version', async () => {
    await expect(generate.execute({ prompt: ' \n ' })).rejects.toThrow(InvalidInputError);
    await expect(generate.execute({ prompt: 'x', maxTokens: 0 })).rejects.toThrow(/maxTokens/);
    await expect(generate.execute({ prompt: 'x', model: 'v9' })).rejects.toThrow(NotFoundError);
  });
});

describe('ScoreLmTextUsecase', () => {
  const score = new ScoreLmTextUsecase(models);

  it('gives log π(continuation + EOS | prompt) as the sum of per-token log-probs, equal to the model', async () => {
    const out = await score.execute({ prompt: 'Q:', continuations: ['ab', 'c'] });
    const direct = await model.completionLogProbs([
      { prompt: 'Q:', completion: 'ab' },
      { prompt: 'Q:', completion: 'c' },
    ]);
    expect(out.results.map((r) => r.tokens.map((t) => t.text))).toEqual([
      ['a', 'b', ''],
      ['c', ''],
    ]);
    out.results.forEach((r, i) => {
      expect(r.logProb).toBeCloseTo(direct[i], 5);
      expect(r.tokens.at(-1)).toMatchObject({ id: tok.eosId, eos: true });
    });
    expect(out.warnings).toEqual([]);
  });

  it('reports a cut prompt and refuses empty input', async () => {
    const out = await score.execute({ prompt: 'x'.repeat(40), continuations: ['y'] });
    expect(out.warnings).toEqual([expect.stringMatching(/oldest tokens were dropped \(continuations 0\)/)]);
    await expect(score.execute({ prompt: '', continuations: ['y'] })).rejects.toThrow(/prompt is empty/);
    await expect(score.execute({ prompt: 'x', continuations: [] })).rejects.toThrow(InvalidInputError);
    await expect(score.execute({ prompt: 'x', continuations: ['y', ''] })).rejects.toThrow(/continuation 1/);
  });
});

describe('LM version names and cards', () => {
  it('accepts folder-safe names only and drops non-finite metrics', () => {
    expect(lmVersionDir('sft-1.a_b')).toBe('models/lm/sft-1.a_b');
    for (const bad of ['', '..', 'a/b', '../x', 'x'.repeat(65)])
      expect(() => assertModelVersion(bad)).toThrow(/invalid/);
    expect(finiteMetrics({ a: 1, b: NaN, c: Infinity })).toEqual({ a: 1 });
  });
});
