import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sequenceLogProb } from '@tessera/alignment/preference';
import { CorruptDataError, InvalidInputError, NotFoundError, Rng } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { ByteTokenizer } from './byte-tokenizer';
import { generateText, sampleToken } from './generate-text';
import { loadLmCheckpoint, restoreLmOptimizer, saveLmCheckpoint } from './lm-checkpoint';
import { SftTrainer } from './sft-trainer';
import { TransformerLm } from './transformer-lm';

const tok = new ByteTokenizer();
const tiny = (seed = 1, contextLength = 32) =>
  new TransformerLm({ vocabSize: tok.vocabSize, contextLength, dModel: 16, nHeads: 2, nLayers: 1, seed }, tok);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ByteTokenizer', () => {
  it('round-trips UTF-8 text and drops special ids on decode', async () => {
    const ids = tok.encode('héllo 👍');
    expect(await tok.decode([tok.bosId, ...ids, tok.eosId, tok.padId])).toBe('héllo 👍');
    expect(ids.every((i) => i < 256)).toBe(true);
  });
});

describe('TransformerLm', () => {
  it('is causal: changing a later token leaves earlier logits unchanged', () => {
    const m = tiny();
    const a = m.logits(tf.tensor2d([[257, 10, 20, 30]], undefined, 'int32')).arraySync()[0];
    const b = m.logits(tf.tensor2d([[257, 10, 20, 99]], undefined, 'int32')).arraySync()[0];
    for (let t = 0; t < 3; t++) a[t].forEach((x, j) => expect(b[t][j]).toBeCloseTo(x, 5));
    expect(a[3].some((x, j) => Math.abs(x - b[3][j]) > 1e-6)).toBe(true);
    m.dispose();
  });

  it('log-probs are exact under padding and equal the sum of next-token log-softmax values', async () => {
    const m = tiny();
    const rows = [
      { prompt: 'Q: hi', completion: ' ok' },
      { prompt: 'Q: a much longer prompt here', completion: ' a longer answer' },
    ];
    const batched = await m.completionLogProbs(rows);
    const alone = await m.completionLogProbs([rows[0]]);
    expect(batched[0]).toBeCloseTo(alone[0], 4);
    // By hand: step through the completion (with EOS) token by token.
    const prompt = [tok.bosId, ...tok.encode(rows[0].prompt)];
    const completion = [...tok.encode(rows[0].completion), tok.eosId];
    let manual = 0;
    const ctx = [...prompt];
    for (const next of completion) {
      const lp = tf.tidy(
        () => tf.logSoftmax(m.logits(tf.tensor2d([ctx], [1, ctx.length], 'int32'))).arraySync()[0][ctx.length - 1],
      );
      manual += lp[next];
      ctx.push(next);
    }
    expect(batched[0]).toBeCloseTo(manual, 4);
    m.dispose();
  });

  it('truncates long prompts from the left and reports which rows', async () => {
    const m = tiny(1, 16);
    const enc = await m.encodeCompletions([
      { prompt: 'x'.repeat(40), completion: 'yy' },
      { prompt: 'ab', completion: 'c' },
    ]);
    expect(enc.truncatedPrompts).toEqual([0]);
    expect(enc.inputIds.shape).toEqual([2, 16]);
    const labels = enc.labels.arraySync();
    expect(labels[0].slice(-3)).toEqual([121, 121, tok.eosId]);
    expect(labels[1].filter((x) => x !== -100)).toEqual([99, tok.eosId]);
    expect(() => m.logits(tf.zeros([1, 17], 'int32') as tf.Tensor2D)).toThrow(InvalidInputError);
    m.dispose();
  });

  it('refuses a config whose heads do not divide dModel', () => {
    expect(() => new TransformerLm({ vocabSize: tok.vocabSize, dModel: 10, nHeads: 3 }, tok)).toThrow(/divisible/);
  });

  it('saves atomically and loads back to identical logits; a tampered weights file is refused', async () => {
    const m = tiny(3);
    const dir = join(mkdtempSync(join(tmpdir(), 'lm-')), 'ckpt');
    await saveLmCheckpoint(
      dir,
      m,
      { modelId: 'tiny', data: 'none' },
      { step: 7, state: { runningMean: { mean: 0.1, count: 2 } } },
    );
    await saveLmCheckpoint(dir, m, { modelId: 'tiny', data: 'none' }, { step: 8 }); // overwrite in place
    const { model, meta, state } = await loadLmCheckpoint(dir);
    expect(meta.step).toBe(8);
    expect(state).toBeUndefined();
    const ids = tf.tensor2d([[257, 1, 2, 3, 4]], undefined, 'int32');
    const a = m.logits(ids).dataSync();
    const b = model.logits(ids).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(16));
    await expect(loadLmCheckpoint(dir)).rejects.toThrow(CorruptDataError);
    await expect(loadLmCheckpoint(join(dir, 'nope'))).rejects.toThrow(NotFoundError);
    m.dispose();
    model.dispose();
  });
});

describe('generateText', () => {
  it('greedy is deterministic; sampling repeats with a seed; stop sequences cut the text', async () => {
    const m = tiny(5);
    const g1 = await generateText(m, 'Hi', { temperature: 0, maxTokens: 6 });
    const g2 = await generateText(m, 'Hi', { temperature: 0, maxTokens: 6 });
    expect(g1).toEqual(g2);
    expect(g1.tokens.length).toBeLessThanOrEqual(6);
    const k1 = await generateText(m, 'Hi', { topK: 1, maxTokens: 6 });
    expect(k1.tokens).toEqual(g1.tokens);
    const s1 = await generateText(m, 'Hi', { temperature: 1.5, topP: 0.9, maxTokens: 8, seed: 9 });
    const s2 = await generateText(m, 'Hi', { temperature: 1.5, topP: 0.9, maxTokens: 8, seed: 9 });
    expect(s1).toEqual(s2);
    expect(g1.finishReason).toBe('length');
    const stopAt = g1.text.slice(2, 3);
    const st = await generateText(m, 'Hi', { temperature: 0, maxTokens: 6, stop: [stopAt] });
    expect(st.finishReason).toBe('stop');
    expect(st.text).toBe(g1.text.slice(0, g1.text.indexOf(stopAt)));
    await expect(generateText(m, 'Hi', { topP: 0 })).rejects.toThrow(InvalidInputError);
    m.dispose();
  });

  it('top-k and top-p only ever draw from the kept tokens', () => {
    const rng = new Rng(1);
    const logits = [0, 5, 4, -3, 1];
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(sampleToken(logits, 1, 2, 1, rng));
    expect([...seen].sort()).toEqual([1, 2]);
    const nucleus = new Set<number>();
    for (let i = 0; i < 200; i++) nucleus.add(sampleToken(logits, 1, 0, 0.5, rng));
    expect([...nucleus]).toEqual([1]);
  });
});

describe('SftTrainer', () => {
  it('lowers the completion loss on a tiny repeated task without leaking tensors', async () => {
    const m = tiny(2);
    const rows = [
      { prompt: 'A:', completion: ' yes' },
      { prompt: 'B:', completion: ' no' },
    ];
    const trainer = new SftTrainer(m, { epochs: 40, batchSize: 2, learningRate: 1e-2, seed: 1 });
    const before = await trainer.evaluate(rows);
    const progress: number[] = [];
    await trainer.step(rows); // warm the optimiser slots so the leak check below is fair
    const n0 = tf.memory().numTensors;
    const res = await trainer.train(rows, { onProgress: (p) => progress.push(p.step) });
    expect(tf.memory().numTensors).toBe(n0);
    const after = await trainer.evaluate(rows);
    expect(res.steps).toBe(40);
    expect(progress.at(-1)).toBe(40);
    expect(after).toBeLessThan(before * 0.5);
    // The log-prob of the trained answer is now high: the model answers "yes" after "A:".
    const g = await generateText(m, 'A:', { temperature: 0, maxTokens: 5 });
    expect(g.text).toBe(' yes');
    trainer.dispose();
    m.dispose();
  });

  it('sequenceLogProb on the model logits matches completionLogProbs', async () => {
    const m = tiny(4);
    const rows = [{ prompt: 'p', completion: 'q' }];
    const enc = await m.encodeCompletions(rows);
    const a = sequenceLogProb(m.logits(enc.inputIds), enc.labels).dataSync()[0];
    expect((await m.completionLogProbs(rows))[0]).toBeCloseTo(a, 5);
    m.dispose();
  });

  it('a run resumed from a checkpoint with its Adam state takes the steps an unbroken run takes', async () => {
    const rows = [
      { prompt: 'A:', completion: ' yes' },
      { prompt: 'B:', completion: ' no' },
      { prompt: 'C:', completion: ' maybe' },
    ];
    const cfg = { batchSize: 2, learningRate: 1e-2, seed: 1 };
    const batches = [rows.slice(0, 2), rows.slice(1, 3), rows.slice(0, 2), [rows[2], rows[0]]];
    const weights = (m: TransformerLm) => m.namedWeights().map((w) => Array.from(w.variable.dataSync()));
    const maxDiff = (a: number[][], b: number[][]) =>
      Math.max(...a.map((w, i) => Math.max(...w.map((v, k) => Math.abs(v - b[i][k])))));

    const unbroken = tiny(3);
    const t0 = new SftTrainer(unbroken, cfg);
    for (const b of batches) await t0.step(b);
    const expected = weights(unbroken);

    const first = tiny(3);
    const t1 = new SftTrainer(first, cfg);
    for (const b of batches.slice(0, 2)) await t1.step(b);
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-lm-adam-')), 'ckpt');
    await saveLmCheckpoint(dir, first, { modelId: 'tiny' }, { step: 2, optimizer: t1.optimizer });

    const resume = async (withAdam: boolean) => {
      const { model } = await loadLmCheckpoint(dir);
      const t = new SftTrainer(model, cfg);
      if (withAdam) expect(await restoreLmOptimizer(dir, model, t.optimizer)).toBe(true);
      for (const b of batches.slice(2)) await t.step(b);
      const w = weights(model);
      t.dispose();
      model.dispose();
      return w;
    };
    expect(maxDiff(await resume(true), expected)).toBeLessThan(1e-5);
    // Fresh moments (the old behaviour) land elsewhere, so the check above can fail.
    expect(maxDiff(await resume(false), expected)).toBeGreaterThan(1e-4);
    // A checkpoint without optimizer state says so instead of failing.
    const bare = join(dirname(dir), 'bare');
    await saveLmCheckpoint(bare, first, { modelId: 'tiny' }, { step: 2 });
    expect(await restoreLmOptimizer(bare, first, t1.optimizer)).toBe(false);
    [t0, t1].forEach((t) => t.dispose());
    [unbroken, first].forEach((m) => m.dispose());
  });
});
