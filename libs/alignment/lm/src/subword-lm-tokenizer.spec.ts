import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLmCheckpoint, saveLmCheckpoint } from './lm-checkpoint';
import { SubwordLmTokenizer } from './subword-lm-tokenizer';
import { TransformerLm } from './transformer-lm';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('SubwordLmTokenizer (@tessera/text BPE behind the LM tokenizer interface)', () => {
  it('encodes without specials, decodes back, and travels inside an LM checkpoint', async () => {
    const corpus = Array.from(
      { length: 50 },
      (_, i) => `Human: how do I bake bread number ${i}? Assistant: knead the dough and wait.`,
    );
    const tok = await SubwordLmTokenizer.train(corpus, { vocabSize: 300, seed: 1 });
    const [ids] = await tok.encodeBatch(['knead the dough']);
    expect(ids).not.toContain(tok.bosId);
    expect(await tok.decode([tok.bosId, ...ids, tok.eosId])).toBe('knead the dough');
    const model = new TransformerLm(
      { vocabSize: tok.vocabSize, contextLength: 16, dModel: 8, nHeads: 2, nLayers: 1, seed: 1 },
      tok,
    );
    const dir = join(mkdtempSync(join(tmpdir(), 'lm-sub-')), 'ckpt');
    await saveLmCheckpoint(dir, model, { modelId: 'sub' });
    const back = await loadLmCheckpoint(dir);
    expect(back.model.tokenizerFingerprint).toBe(model.tokenizerFingerprint);
    const rows = [{ prompt: 'Human: hi', completion: ' knead' }];
    expect(Array.from(await back.model.completionLogProbs(rows))).toEqual(
      Array.from(await model.completionLogProbs(rows)),
    );
    model.dispose();
    back.model.dispose();
  });
});
