import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { IGNORE_INDEX, PreferenceTrainer, parseDpoConfig, sequenceLogProb } from '@tessera/alignment/preference';
import { CorruptDataError, InvalidInputError, Rng } from '@tessera/common';
import { assertNoLeak, gradientCheckVariables } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ByteTokenizer } from './byte-tokenizer';
import { loadLmCheckpoint, loadSeq2SeqCheckpoint, saveLmCheckpoint, saveSeq2SeqCheckpoint } from './lm-checkpoint';
import { Seq2SeqLm } from './seq2seq-lm';
import { Seq2SeqPolicyAdapter } from './seq2seq-policy.adapter';
import { TransformerLm } from './transformer-lm';

const tok = new ByteTokenizer();
const tiny = (seed = 1) =>
  new Seq2SeqLm(
    {
      vocabSize: tok.vocabSize,
      maxSourceLength: 16,
      maxTargetLength: 16,
      dModel: 16,
      nHeads: 2,
      nEncoderLayers: 1,
      nDecoderLayers: 1,
      seed,
    },
    tok,
  );

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Seq2SeqLm', () => {
  it('gives logits [B, T, V] and one log-prob per target token plus EOS', async () => {
    const m = tiny();
    const batch = m.encodeIdBatch(
      [
        [1, 2, 3],
        [4, 5],
      ],
      [[7], [8, 9, 10]],
    );
    expect(batch.sourceIds.shape).toEqual([2, 4]);
    expect(await batch.sourceMask.array()).toEqual([
      [1, 1, 1, 1],
      [1, 1, 1, 0],
    ]);
    expect(await batch.decoderIds.array()).toEqual([
      [tok.bosId, 7, tok.padId, tok.padId],
      [tok.bosId, 8, 9, 10],
    ]);
    expect(await batch.labels.array()).toEqual([
      [7, tok.eosId, IGNORE_INDEX, IGNORE_INDEX],
      [8, 9, 10, tok.eosId],
    ]);
    const logits = m.logits(batch.sourceIds, batch.sourceMask, batch.decoderIds);
    expect(logits.shape).toEqual([2, 4, tok.vocabSize]);
    const lp = await m.logProbs(['abc', 'de'], ['x', 'yz!']);
    expect(lp.tokens.map((t) => t.length)).toEqual([2, 4]);
    lp.tokens.forEach((t, i) => {
      expect(t.every((x) => x < 0)).toBe(true);
      expect(lp.sums[i]).toBeCloseTo(
        t.reduce((a, x) => a + x, 0),
        5,
      );
    });
    tf.dispose([logits, ...Object.values(batch)]);
    m.dispose();
  });

  it('is causal: changing a later target token leaves earlier log-probs unchanged', async () => {
    const m = tiny();
    const a = (await m.logProbsOfIds([[1, 2, 3]], [[10, 20, 30, 40]])).tokens[0];
    const b = (await m.logProbsOfIds([[1, 2, 3]], [[10, 20, 99, 40]])).tokens[0];
    for (let j = 0; j < 2; j++) expect(b[j]).toBeCloseTo(a[j], 6);
    expect(Math.abs(a[2] - b[2])).toBeGreaterThan(1e-6);
    // ...while the source does matter.
    const c = (await m.logProbsOfIds([[1, 2, 4]], [[10, 20, 30, 40]])).tokens[0];
    expect(Math.abs(a[0] - c[0])).toBeGreaterThan(1e-6);
    m.dispose();
  });

  it('ignores source padding: extra pad columns change nothing', async () => {
    const m = tiny();
    const batch = m.encodeIdBatch([[5, 6, 7]], [[8, 9]]);
    const padded = tf.concat([batch.sourceIds, tf.fill([1, 5], tok.padId, 'int32')], 1) as tf.Tensor2D;
    const paddedMask = tf.concat([batch.sourceMask, tf.zeros([1, 5], 'int32')], 1) as tf.Tensor2D;
    const a = m.logits(batch.sourceIds, batch.sourceMask, batch.decoderIds);
    const b = m.logits(padded, paddedMask, batch.decoderIds);
    const diff = tf.max(tf.abs(tf.sub(a, b)));
    expect(await diff.data()).toEqual(new Float32Array([0]));
    tf.dispose([a, b, diff, padded, paddedMask, ...Object.values(batch)]);
    m.dispose();
  });

  it('batched log-probs equal one-at-a-time log-probs to 1e-5', async () => {
    const m = tiny(3);
    const sources = ['a', 'a longer source', 'mid one', ''];
    const targets = ['short', 'x', 'a longer target!', 'e'];
    const batched = await m.logProbs(sources, targets);
    for (let i = 0; i < sources.length; i++) {
      const alone = await m.logProbs([sources[i]], [targets[i]]);
      expect(alone.tokens[0].length).toBe(batched.tokens[i].length);
      alone.tokens[0].forEach((x, j) => expect(Math.abs(x - batched.tokens[i][j])).toBeLessThan(1e-5));
      expect(Math.abs(alone.sums[0] - batched.sums[i])).toBeLessThan(1e-5);
    }
    m.dispose();
  });

  it('has correct gradients (central differences) through encoder, cross-attention and decoder', () => {
    const m = new Seq2SeqLm(
      {
        vocabSize: tok.vocabSize,
        maxSourceLength: 4,
        maxTargetLength: 4,
        dModel: 8,
        nHeads: 2,
        nEncoderLayers: 1,
        nDecoderLayers: 1,
        dFf: 8,
        seed: 5,
      },
      tok,
    );
    const batch = m.encodeIdBatch(
      [
        [1, 2],
        [3, 4, 5],
      ],
      [[6, 7], [8]],
    );
    const vars = m
      .namedWeights()
      .filter((w) => /^(enc0\.(attn|ffn)|dec0\.(cross|self)|emb\.pos|dec_ln)/.test(w.name))
      .map((w) => w.variable);
    expect(vars.length).toBeGreaterThan(4);
    const res = gradientCheckVariables(() => m.loss(batch), vars, {
      eps: 1e-2,
      rtol: 5e-2,
      atol: 1e-2,
      maxPerInput: 6,
    });
    expect(res.checked).toBeGreaterThan(20);
    expect(res.maxRelError).toBeLessThan(5e-2);
    tf.dispose(Object.values(batch));
    m.dispose();
  });

  it('leaks no tensors per training step', async () => {
    const m = tiny();
    const opt = tf.train.adam(1e-3);
    const batch = m.encodeIdBatch([[1, 2, 3]], [[4, 5]]);
    const leak = await assertNoLeak(async () => {
      const cost = opt.minimize(() => m.loss(batch), true, m.trainableVariables());
      await cost?.data();
      cost?.dispose();
      const lp = await m.logProbs(['ab'], ['c']);
      expect(lp.sums.length).toBe(1);
      await m.generate('ab', { maxTokens: 3, temperature: 0 });
    });
    expect(leak).toBe(0);
    opt.dispose();
    tf.dispose(Object.values(batch));
    m.dispose();
  });

  it('generates greedily and by sampling, honouring maxTokens, stop strings and seeds', async () => {
    const m = tiny(2);
    const g = await m.generate('hello', { temperature: 0, maxTokens: 5 });
    expect(g.tokens.length).toBeLessThanOrEqual(5);
    // Greedy output is the argmax path of the teacher-forced logits over [BOS, generated...].
    const batch = m.encodeIdBatch([tok.encode('hello')], [g.tokens]);
    const argmax = tf.tidy(() => tf.argMax(m.logits(batch.sourceIds, batch.sourceMask, batch.decoderIds), -1));
    const path = Array.from(await argmax.data());
    expect(path.slice(0, g.tokens.length)).toEqual(g.tokens);
    if (g.finishReason === 'eos') expect(path[g.tokens.length]).toBe(tok.eosId);
    tf.dispose([argmax, ...Object.values(batch)]);
    const s1 = await m.generate('hello', { temperature: 1, topK: 5, topP: 0.9, maxTokens: 6, seed: 7 });
    const s2 = await m.generate('hello', { temperature: 1, topK: 5, topP: 0.9, maxTokens: 6, seed: 7 });
    expect(s1).toEqual(s2);
    const capped = await m.generate('hello', { temperature: 1, maxTokens: 100, seed: 1 });
    expect(capped.tokens.length).toBeLessThanOrEqual(15);
    await expect(m.generate('x', { topP: 0 })).rejects.toThrow(InvalidInputError);
    m.dispose();
  });

  it('round-trips through a checkpoint with identical log-probs and refuses the wrong kind or tokenizer', async () => {
    const m = tiny(4);
    const dir = join(mkdtempSync(join(tmpdir(), 's2s-')), 'ckpt');
    const meta = await saveSeq2SeqCheckpoint(dir, m, { modelId: 's2s', data: 'none' }, { step: 3 });
    expect(meta.kind).toBe('seq2seq');
    const { model, meta: back } = await loadSeq2SeqCheckpoint(dir);
    expect(back.step).toBe(3);
    const a = await m.logProbs(['abc', 'q'], ['xyz', 'rr']);
    const b = await model.logProbs(['abc', 'q'], ['xyz', 'rr']);
    expect(b.sums).toEqual(a.sums);
    await expect(loadLmCheckpoint(dir)).rejects.toThrow(InvalidInputError);
    const lmDir = join(dir, '..', 'lm');
    const lm = new TransformerLm({ vocabSize: tok.vocabSize, contextLength: 8, dModel: 8, nHeads: 2, nLayers: 1 }, tok);
    await saveLmCheckpoint(lmDir, lm, { modelId: 'lm' });
    await expect(loadSeq2SeqCheckpoint(lmDir)).rejects.toThrow(InvalidInputError);
    const metaPath = join(dir, 'meta.json');
    const json = JSON.parse(readFileSync(metaPath, 'utf8')) as { tokenizer: { fingerprint: string } };
    json.tokenizer.fingerprint = 'something-else';
    writeFileSync(metaPath, JSON.stringify(json));
    await expect(loadSeq2SeqCheckpoint(dir)).rejects.toThrow(CorruptDataError);
    lm.dispose();
    model.dispose();
    m.dispose();
  });

  it('serves the preference trainer through the policy adapter with the same log-probs', async () => {
    const m = tiny(6);
    const policy = new Seq2SeqPolicyAdapter(m);
    const rows = [
      { prompt: 'abc', completion: 'xy' },
      { prompt: 'hello there', completion: 'z' },
    ];
    const enc = await policy.encodeCompletions(rows);
    const lp = tf.tidy(() => sequenceLogProb(policy.logits(enc.inputIds), enc.labels));
    const direct = await m.logProbs(
      rows.map((r) => r.prompt),
      rows.map((r) => r.completion),
    );
    const viaPolicy = await lp.data();
    direct.sums.forEach((x, i) => expect(Math.abs(x - viaPolicy[i])).toBeLessThan(1e-5));
    expect(policy.trainableVariables().length).toBe(m.trainableVariables().length);
    tf.dispose([lp, enc.inputIds, enc.labels]);
    m.dispose();
  });

  it('trains with the preference trainer (DPO) through the adapter', async () => {
    const m = tiny(8);
    const reference = m.frozenCopy();
    const pairs = Array.from({ length: 8 }, (_, i) => ({
      id: `p${i}`,
      prompt: `Q${i}:`,
      chosen: ' yes',
      rejected: ' no',
      source: 'toy',
    }));
    const trainer = new PreferenceTrainer({
      policy: new Seq2SeqPolicyAdapter(m),
      reference: new Seq2SeqPolicyAdapter(reference),
      config: parseDpoConfig({ batchSize: 4, maxSteps: 4, learningRate: 1e-2, seed: 2 }),
    });
    const before = await m.logProbs(['Q1:'], [' yes']);
    const res = await trainer.train(pairs);
    const after = await m.logProbs(['Q1:'], [' yes']);
    // Policy equals reference at the start, so the first DPO loss is exactly log 2.
    expect(res.history[0].loss).toBeCloseTo(Math.log(2), 5);
    expect(res.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    expect(after.sums[0]).toBeGreaterThan(before.sums[0]);
    trainer.dispose();
    reference.dispose();
    m.dispose();
  });
});

describe('Seq2SeqLm learning', () => {
  /*
   * Copy task: target = source. Greedy token accuracy after 500 steps (batch 16, Adam 5e-3) was 1.000 for model/data
   * seeds 3/11 and 4/12; after 300 steps it was 0.85–1.00 depending on the seed, so 500 leaves a margin. Reversal
   * (relative positions, which learned absolute ones only get slowly) reached 0.43–0.98 after 300 steps and
   * 0.89–0.98 after 600: too slow and seed-sensitive for a unit test.
   */
  it('learns to copy short sequences: greedy token accuracy ≥ 0.9 on held-out inputs', async () => {
    // Letters a–f as byte ids; sequences of 2–5 letters never seen in training.
    const letters = Array.from('abcdef', (c) => c.charCodeAt(0));
    const rng = new Rng(11);
    const sample = (): number[] =>
      Array.from({ length: 2 + Math.floor(rng.next() * 4) }, () => letters[Math.floor(rng.next() * letters.length)]);
    const m = new Seq2SeqLm(
      {
        vocabSize: tok.vocabSize,
        maxSourceLength: 8,
        maxTargetLength: 8,
        dModel: 32,
        nHeads: 4,
        nEncoderLayers: 1,
        nDecoderLayers: 1,
        seed: 3,
      },
      tok,
    );
    const test = Array.from({ length: 40 }, sample);
    const seen = new Set(test.map((s) => s.join()));
    const opt = tf.train.adam(5e-3);
    for (let step = 0; step < 500; step++) {
      const src: number[][] = [];
      while (src.length < 16) {
        const s = sample();
        if (!seen.has(s.join())) src.push(s);
      }
      const batch = m.encodeIdBatch(
        src,
        src.map((s) => [...s]),
      );
      opt.minimize(() => m.loss(batch), false, m.trainableVariables());
      tf.dispose(Object.values(batch));
    }
    let right = 0;
    let total = 0;
    for (const s of test) {
      const want = [...s];
      const got = (await m.generateFromIds(s, { temperature: 0, maxTokens: 7 })).tokens;
      want.forEach((id, j) => (right += got[j] === id ? 1 : 0));
      total += want.length;
    }
    const accuracy = right / total;
    console.log(`seq2seq copy task: greedy token accuracy ${accuracy.toFixed(3)} on ${test.length} held-out sequences`);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    opt.dispose();
    m.dispose();
  }, 300_000);
});
