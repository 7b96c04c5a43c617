import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CorruptDataError, Rng } from '@tessera/common';
import { assertNoLeak, gradientCheckVariables, initTensorBackend, ParamStore } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ColdStartItemEncoder, ItemContentTokenizer, type ItemTokens } from '../encoder';
import { buildBatch, indexInteractions } from './cold-start-batch';
import { parseColdStartConfig } from './cold-start.config';
import { ColdStartModel } from './cold-start-model';
import { loadColdStartModel, saveColdStartModel } from './cold-start-model.io';
import { ColdStartTrainer, lexicalBatchProfiles } from './cold-start.trainer';
import { decodeProfiles, encodeProfiles, LexicalChannel, meanSparse, sparseScores } from './lexical-channel';

beforeAll(async () => {
  await initTensorBackend('wasm');
});

const specs = [
  { name: 'tags', kind: 'ids' as const, vocabSize: 8, maxLength: 4 },
  { name: 'cites', kind: 'ids' as const, vocabSize: 4, maxLength: 2 },
];
const item = (tags: number[], cites: number[] = []): ItemTokens => ({
  modalities: {
    tags: { kind: 'ids', tokens: tags },
    ...(cites.length > 0 ? { cites: { kind: 'ids' as const, tokens: cites } } : {}),
  },
});

/**
 * Gradient check of a, α and γ through a score matrix, on a non-trivial scalar of it (a weighted sum plus a square,
 * so every path carries gradient).
 */
function checkScoreGradients(lex: LexicalChannel, scores: () => tf.Tensor2D, target: number[][]) {
  const t = tf.tensor2d(target);
  try {
    const f = () =>
      tf.tidy(() => {
        const s = scores();
        return tf.add(tf.sum(tf.mul(s, t)), tf.mul(0.1, tf.sum(tf.square(s)))) as tf.Scalar;
      });
    return gradientCheckVariables(f, [lex.logWeights, lex.sharpness, lex.logScale], {
      eps: 3e-3,
      rtol: 2e-2,
      atol: 1e-3,
    });
  } finally {
    t.dispose();
  }
}

describe('lexical channel', () => {
  it('weighs an item by (1 + log tf)·idf, L2-normalised, and keeps modalities apart (worked example)', async () => {
    const lex = new LexicalChannel(new ParamStore(), specs);
    // df over 3 items: tag 1 in all three, tag 2 in one, cite 1 in one; n = 3.
    lex.initFromItems([item([1, 2, 2]), item([1]), item([1], [1])]);
    const [v] = await lex.itemVectors([item([1, 2, 2, 0, 3], [1, 1, 2])]);
    // maxLength cuts tags to [1, 2, 2, 0] (0 is padding) and cites to [1, 1]; cite keys start at offset 8.
    expect(Array.from(v.indices)).toEqual([1, 2, 9]);
    const idf = (df: number) => Math.log(4 / (df + 1)) + 1;
    const raw = [idf(3), (1 + Math.log(2)) * idf(1), (1 + Math.log(2)) * idf(1)];
    const norm = Math.hypot(...raw);
    raw.forEach((x, k) => expect(v.values[k]).toBeCloseTo(x / norm, 5));
  });

  it('reads up to lexicalMaxLength tokens while the transformer keeps maxLength', async () => {
    const tokenizer = new ItemContentTokenizer([
      { name: 'tags', fields: ['tags'], labels: true, maxLength: 2, lexicalMaxLength: 5, buckets: 1024 },
    ]);
    const [spec] = tokenizer.modalitySpecs();
    expect(spec).toMatchObject({ maxLength: 2, lexicalMaxLength: 5 });
    const tokens = tokenizer.tokenize({ itemId: 1, fields: { tags: 'a | b | c | d | e | f' } });
    expect(tokens.modalities.tags.tokens.length).toBe(5);
    const store = new ParamStore();
    const lex = new LexicalChannel(store, [spec]);
    lex.initFromItems([tokens]);
    expect((await lex.itemVectors([tokens]))[0].indices.length).toBe(5);
    // The transformer reads the first two: the item encodes like one holding only those.
    const encoder = new ColdStartItemEncoder({ modalities: [spec], dModel: 8, numHeads: 2, dropout: 0 });
    const two = {
      modalities: {
        tags: { kind: 'ids' as const, tokens: Array.from(tokens.modalities.tags.tokens as number[]).slice(0, 2) },
      },
    };
    const [a, b] = await encoder.encodeItems([tokens, two]);
    expect(Array.from(a)).toEqual(Array.from(b));
    encoder.dispose();
    store.dispose();
  });

  it('gives weight 0 to tokens of fewer than minDf items and leaves them out of the vectors (worked example)', async () => {
    const lex = new LexicalChannel(new ParamStore(), specs, 'idf', 2);
    // df: tag 1 in three items, tag 2 in two, tag 3 in one (dropped), cite 1 in one (dropped); n = 3.
    lex.initFromItems([item([1, 2, 3]), item([1, 2]), item([1], [1])]);
    const [v, only] = await lex.itemVectors([item([1, 2, 3], [1]), item([3], [1])]);
    expect(Array.from(v.indices)).toEqual([1, 2]);
    const idf = (df: number) => Math.log(4 / (df + 1)) + 1;
    const norm = Math.hypot(idf(3), idf(2));
    expect(v.values[0]).toBeCloseTo(idf(3) / norm, 5);
    expect(v.values[1]).toBeCloseTo(idf(2) / norm, 5);
    // An item of dropped tokens only has an empty vector (it matches nothing), not NaN.
    expect(only.indices.length).toBe(0);
    // The training batch agrees: the dropped tokens add nothing and stay out of the norm, so an item with them
    // scores against the same item without them as against itself (γ·1).
    const h = {
      items: [item([1, 2, 3], [1])],
      pairUser: Int32Array.from([0]),
      pairItem: Int32Array.from([0]),
      users: 1,
    };
    const batch = tf.tidy(() => lex.batchScores([item([1, 2])], h).arraySync());
    expect(batch[0][0]).toBeCloseTo(await lex.scale(), 5);
  });

  it('reads its own ids (lexicalTokens) when the group has a lexical vocabulary, and only those', async () => {
    const tokenizer = new ItemContentTokenizer([
      {
        name: 'tags',
        fields: ['tags'],
        labels: true,
        maxLength: 2,
        lexicalMaxLength: 4,
        buckets: 16,
        lexicalBuckets: 1 << 16,
      },
    ]);
    const [spec] = tokenizer.modalitySpecs();
    expect(spec).toMatchObject({ vocabSize: 16, lexicalVocabSize: 1 << 16, maxLength: 2, lexicalMaxLength: 4 });
    const tokens = tokenizer.tokenize({ itemId: 1, fields: { tags: 'a | b | c | d | e' } });
    const mt = tokens.modalities.tags;
    if (mt.kind !== 'ids') throw new Error('expected ids');
    // The transformer's ids stop at maxLength; the channel's run to lexicalMaxLength in their own, larger space.
    expect(mt.tokens.length).toBe(2);
    expect(mt.lexicalTokens!.length).toBe(4);
    expect(Array.from(mt.lexicalTokens!).every((id) => id >= 1 && id < 1 << 16)).toBe(true);
    const lex = new LexicalChannel(new ParamStore(), [spec]);
    expect(lex.size).toBe(1 << 16);
    lex.initFromItems([tokens]);
    const [v] = await lex.itemVectors([tokens]);
    expect(Array.from(v.indices)).toEqual([...new Set(mt.lexicalTokens as number[])].sort((a, b) => a - b));
    // Without lexicalTokens the item has no lexical terms: the transformer's ids are never read as lexical keys.
    const [none] = await lex.itemVectors([{ modalities: { tags: { kind: 'ids', tokens: mt.tokens } } }]);
    expect(none.indices.length).toBe(0);
  });

  it('scores a training batch exactly as the serving path scores profiles against item vectors', async () => {
    const store = new ParamStore();
    const lex = new LexicalChannel(store, specs);
    const catalogue = [item([1, 2]), item([2, 3], [1]), item([4]), item([1, 5, 5], [2]), item([6, 7], [1, 3])];
    lex.initFromItems(catalogue);
    // Perturb the learned weights so the check does not rest on the idf start.
    tf.tidy(() => lex.logWeights.assign(tf.add(lex.logWeights, tf.randomUniform([lex.size], -0.3, 0.3, 'float32', 5))));
    const ranked = [catalogue[0], catalogue[2], catalogue[4]];
    const history = [catalogue[1], catalogue[3]];
    // user 0 holds items 1 and 3 of the catalogue, user 1 holds item 3, user 2 holds nothing.
    const h = { items: history, pairUser: Int32Array.from([0, 0, 1]), pairItem: Int32Array.from([0, 1, 1]), users: 3 };
    const batch = tf.tidy(() => lex.batchScores(ranked, h).arraySync());
    const vh = await lex.itemVectors(history);
    const vr = await lex.itemVectors(ranked);
    const served = sparseScores([meanSparse([vh[0], vh[1]]), meanSparse([vh[1]]), undefined], vr);
    const gamma = await lex.scale();
    for (let u = 0; u < 3; u++)
      for (let i = 0; i < 3; i++) expect(batch[u][i]).toBeCloseTo(gamma * served[u * 3 + i], 5);
    // Item 0 shares tag 2 with user 0's history and tag 1 with both users; item 1 (tag 4 alone) shares nothing.
    expect(batch[0][0]).toBeGreaterThan(0);
    expect(batch[0][1]).toBe(0);
    expect(batch[2]).toEqual([0, 0, 0]);
    store.dispose();
  });

  it('scores against fixed profiles as serving does, with gradients that match central differences', async () => {
    const store = new ParamStore();
    const lex = new LexicalChannel(store, specs);
    const catalogue = [item([1, 2]), item([2, 3], [1]), item([1, 3]), item([1, 5, 5], [2]), item([2, 7], [1, 3])];
    lex.initFromItems(catalogue);
    tf.tidy(() => lex.logWeights.assign(tf.add(lex.logWeights, tf.randomUniform([lex.size], -0.3, 0.3, 'float32', 9))));
    const vh = await lex.itemVectors(catalogue.slice(0, 3));
    const profiles = [meanSparse([vh[0], vh[1]]), undefined, meanSparse([vh[2]])];
    const ranked = catalogue.slice(2);
    const scores = tf.tidy(() => lex.profileScores(ranked, profiles).arraySync());
    const served = sparseScores(profiles, await lex.itemVectors(ranked));
    const gamma = await lex.scale();
    for (let u = 0; u < 3; u++)
      for (let i = 0; i < 3; i++) expect(scores[u][i]).toBeCloseTo(gamma * served[u * 3 + i], 5);
    expect(scores[1]).toEqual([0, 0, 0]);
    expect(scores[0][0]).toBeGreaterThan(0);
    const res = checkScoreGradients(lex, () => lex.profileScores(ranked, profiles), [
      [0.3, -1, 2],
      [1, 0.5, -0.7],
      [-0.4, 0.8, 1.1],
    ]);
    expect(res.checked).toBeGreaterThan(8);
    expect(res.ok, JSON.stringify(res.worst)).toBe(true);
    store.dispose();
  });

  it('has gradients that match central differences (token weights, sharpness, scale)', () => {
    const store = new ParamStore();
    const lex = new LexicalChannel(store, specs);
    const catalogue = [item([1, 2]), item([2, 3], [1]), item([1, 3]), item([1, 5, 5], [2]), item([2, 7], [1, 3])];
    lex.initFromItems(catalogue);
    const h = {
      items: catalogue.slice(0, 3),
      pairUser: Int32Array.from([0, 0, 1, 1]),
      pairItem: Int32Array.from([0, 1, 1, 2]),
      users: 2,
    };
    const res = checkScoreGradients(lex, () => lex.batchScores(catalogue.slice(2), h), [
      [0.3, -1, 2],
      [1, 0.5, -0.7],
    ]);
    expect(res.checked).toBeGreaterThan(12);
    expect(res.ok, JSON.stringify(res.worst)).toBe(true);
    store.dispose();
  });
});

describe('cold-start model with the lexical channel', () => {
  const specsTokens = [{ name: 'tags', kind: 'ids' as const, vocabSize: 32, maxLength: 4 }];
  const tokens = new Map<number, ItemTokens>(
    Array.from({ length: 12 }, (_, i) => [
      i + 1,
      { modalities: { tags: { kind: 'ids', tokens: [1 + (i % 4), 5 + i] } } },
    ]),
  );
  const interactions = Array.from({ length: 30 }, (_, k) => ({ userId: 1 + (k % 3), itemId: 1 + ((k * 7) % 12) }));
  const historyOf = new Map<number, number[]>();
  for (const x of interactions) historyOf.set(x.userId, [...(historyOf.get(x.userId) ?? []), x.itemId]);
  const config = parseColdStartConfig({ dModel: 8, numHeads: 2, dropout: 0, lexical: true, encoderLr: 0.05, seed: 3 });

  it('trains the sparse weights with the encoder, leaks nothing per step, and adds γ·<p_u, v_i> to the served score', async () => {
    const model = new ColdStartModel({ ...config, modalities: specsTokens }, [1, 2, 3]);
    const trainer = new ColdStartTrainer(config, model);
    try {
      model.lexical!.initFromItems(tokens.values());
      const before = Array.from(model.lexical!.logWeights.dataSync());
      // A third of the interactions, so every user keeps history items outside the batch.
      const batch = buildBatch(
        interactions.slice(0, 9),
        indexInteractions(interactions),
        (u) => model.rowOf(u),
        new Rng(2),
        config,
        { of: historyOf, size: 3 },
      )!;
      expect(batch.history!.pairUser.length).toBeGreaterThan(0);
      expect(Number.isFinite(await trainer.stepAsync(batch, (id) => tokens.get(id), 1))).toBe(true);
      expect(await assertNoLeak(() => trainer.stepAsync(batch, (id) => tokens.get(id), 2))).toBe(0);
      const after = Array.from(model.lexical!.logWeights.dataSync());
      expect(after.some((x, k) => Math.abs(x - before[k]) > 1e-4)).toBe(true);

      const history = (u: number) => (historyOf.get(u) ?? []).map((id) => tokens.get(id)!);
      await model.materializeProfiles(history);
      const items = [tokens.get(2)!, tokens.get(9)!];
      const z = await model.encodeItems(items);
      const lex = (await model.lexicalVectors(items))!;
      const dense = await model.scoreUsers([1, 99], z);
      const full = await model.scoreUsers([1, 99], z, lex);
      const gamma = await model.lexical!.scale();
      const expected = sparseScores([meanSparse(await model.lexical!.itemVectors(history(1)))], lex);
      for (let i = 0; i < 2; i++) expect(full[i]).toBeCloseTo(dense[i] + gamma * expected[i], 5);
      // An unknown user scores 0 on both channels.
      expect(Array.from(full.subarray(2))).toEqual([0, 0]);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it("builds 'full' training profiles as served, without the batch's own items; a step learns and leaks nothing", async () => {
    const fullConfig = parseColdStartConfig({ ...config, lexicalProfile: 'full', lexicalWeights: 'idf' });
    const model = new ColdStartModel({ ...fullConfig, modalities: specsTokens }, [1, 2, 3]);
    const trainer = new ColdStartTrainer(fullConfig, model);
    try {
      model.lexical!.initFromItems(tokens.values());
      const batch = buildBatch(
        interactions.slice(0, 9),
        indexInteractions(interactions),
        (u) => model.rowOf(u),
        new Rng(2),
        fullConfig,
      )!;
      const tokensOf = (id: number) => tokens.get(id);
      const profiles = await lexicalBatchProfiles(model.lexical!, batch, historyOf, tokensOf);
      const vectorOf = await model.lexical!.vectorizer();
      batch.userIds.forEach((user, u) => {
        const asked = new Set(
          Array.from(batch.posUser.keys())
            .filter((k) => batch.posUser[k] === u)
            .map((k) => batch.itemIds[batch.posItem[k]]),
        );
        const kept = historyOf.get(user)!.filter((id) => !asked.has(id));
        expect(kept.length).toBeLessThan(historyOf.get(user)!.length);
        const expected = meanSparse(kept.map((id) => vectorOf(tokens.get(id)!)));
        expect(Array.from(profiles[u]!.indices)).toEqual(Array.from(expected.indices));
        Array.from(expected.values).forEach((x, j) => expect(profiles[u]!.values[j]).toBeCloseTo(x, 6));
      });
      await expect(trainer.stepAsync(batch, tokensOf, 1)).rejects.toThrow(/training positives/);
      const [a0, g0] = [model.lexical!.sharpness.dataSync()[0], model.lexical!.logScale.dataSync()[0]];
      expect(Number.isFinite(await trainer.stepAsync(batch, tokensOf, 1, historyOf))).toBe(true);
      expect(await assertNoLeak(() => trainer.stepAsync(batch, tokensOf, 2, historyOf))).toBe(0);
      expect(model.lexical!.sharpness.dataSync()[0]).not.toBe(a0);
      expect(model.lexical!.logScale.dataSync()[0]).not.toBe(g0);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('keeps the idf token weights fixed with lexicalWeights idf, while α and γ still learn', async () => {
    const idfConfig = parseColdStartConfig({ ...config, lexicalWeights: 'idf' });
    const model = new ColdStartModel({ ...idfConfig, modalities: specsTokens }, [1, 2, 3]);
    const trainer = new ColdStartTrainer(idfConfig, model);
    try {
      model.lexical!.initFromItems(tokens.values());
      const read = () =>
        [model.lexical!.logWeights, model.lexical!.sharpness, model.lexical!.logScale].map((v) =>
          Array.from(v.dataSync()),
        );
      const [w0, a0, g0] = read();
      const batch = buildBatch(
        interactions.slice(0, 9),
        indexInteractions(interactions),
        (u) => model.rowOf(u),
        new Rng(2),
        idfConfig,
        { of: historyOf, size: 3 },
      )!;
      await trainer.stepAsync(batch, (id) => tokens.get(id), 1);
      const [w1, a1, g1] = read();
      expect(w1).toEqual(w0);
      expect(a1[0]).not.toBe(a0[0]);
      expect(g1[0]).not.toBe(g0[0]);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('calibrates α and γ on validation after fit: never below the trained values, model left at the choice', async () => {
    const model = new ColdStartModel({ ...config, modalities: specsTokens }, [1, 2, 3]);
    const trainer = new ColdStartTrainer({ ...config, epochs: 2, patience: 5 }, model);
    try {
      const held = new Set([3, 10]);
      const train = interactions.filter((x) => !held.has(x.itemId));
      const relevant = new Map<number, Set<number>>();
      for (const x of interactions)
        if (held.has(x.itemId)) relevant.set(x.userId, new Set([...(relevant.get(x.userId) ?? []), x.itemId]));
      const report = await trainer.fit({
        interactions: train,
        positives: train,
        itemTokens: tokens,
        validation: { candidates: [3, 10, 11, 12], relevant },
      });
      const cal = report.lexicalCalibration!;
      const sum = (m: { recall: number; ndcg: number }) => m.recall + m.ndcg;
      expect(sum(cal.chosenMetrics)).toBeGreaterThanOrEqual(sum(cal.trainedMetrics));
      expect(model.lexical!.sharpness.dataSync()[0]).toBeCloseTo(cal.chosen.sharpness, 5);
      expect(await model.lexical!.scale()).toBeCloseTo(cal.chosen.scale, 4);
      const grid = (x: number, base: number) => x / base;
      expect(
        [0.75, 1, 1.5, 2].some((m) => Math.abs(grid(cal.chosen.sharpness, cal.trained.sharpness) - m) < 1e-5),
      ).toBe(true);
      // The served profiles match the chosen α: rebuilding them changes nothing.
      const before = model.profileOf(1);
      await model.materializeProfiles((u) => train.filter((x) => x.userId === u).map((x) => tokens.get(x.itemId)!));
      expect(Array.from(model.profileOf(1)!.values)).toEqual(Array.from(before!.values));
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('loads a model saved before the minDf mask existed (no lexicalMinDf in its card, no mask in its weights)', async () => {
    const { lexicalMinDf: _dropped, ...oldConfig } = config;
    const model = new ColdStartModel({ ...oldConfig, modalities: specsTokens }, [1, 2, 3]);
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-lex-old-')), 'v1');
    try {
      expect(model.lexical!.keep).toBeUndefined();
      expect(model.store.names().some((n) => n.endsWith('.keep'))).toBe(false);
      model.lexical!.initFromItems(tokens.values());
      await model.materializeProfiles((u) => (historyOf.get(u) ?? []).map((id) => tokens.get(id)!));
      await saveColdStartModel(dir, model, {
        version: 'v1',
        status: 'complete',
        data: {},
        config: oldConfig as typeof config,
        metrics: {},
        seed: 3,
      });
      const { model: back } = await loadColdStartModel(dir);
      try {
        const items = [tokens.get(5)!];
        expect((await back.lexicalVectors(items))![0]).toEqual((await model.lexicalVectors(items))![0]);
      } finally {
        back.dispose();
      }
    } finally {
      model.dispose();
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it('saves and loads back with its token weights and user profiles; a damaged profiles.bin is refused', async () => {
    const model = new ColdStartModel({ ...config, modalities: specsTokens }, [1, 2, 3]);
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-lex-')), 'v1');
    try {
      model.lexical!.initFromItems(tokens.values());
      // User 3's profile stays absent: an empty history.
      await model.materializeProfiles((u) => (u === 3 ? [] : (historyOf.get(u) ?? []).map((id) => tokens.get(id)!)));
      await saveColdStartModel(dir, model, {
        version: 'v1',
        status: 'complete',
        data: {},
        config,
        metrics: {},
        seed: 3,
      });
      const { model: back } = await loadColdStartModel(dir);
      try {
        const items = [tokens.get(5)!, tokens.get(6)!];
        const z = await model.encodeItems(items);
        const lex = (await model.lexicalVectors(items))!;
        expect(Array.from(await back.scoreUsers([1, 2, 3], z, (await back.lexicalVectors(items))!))).toEqual(
          Array.from(await model.scoreUsers([1, 2, 3], z, lex)),
        );
        expect(back.profileOf(3)).toBeUndefined();
        expect(Array.from(back.profileOf(1)!.indices)).toEqual(Array.from(model.profileOf(1)!.indices));
      } finally {
        back.dispose();
      }
      writeFileSync(join(dir, 'profiles.bin'), Buffer.from([1, 2, 3]));
      await expect(loadColdStartModel(dir)).rejects.toBeInstanceOf(CorruptDataError);
      expect(() => decodeProfiles(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]))).toThrow(CorruptDataError);
      const blob = encodeProfiles([undefined, { indices: Int32Array.from([4]), values: Float32Array.from([0.5]) }]);
      expect(decodeProfiles(blob)).toEqual([
        undefined,
        { indices: Int32Array.from([4]), values: Float32Array.from([0.5]) },
      ]);
      expect(() => decodeProfiles(blob.subarray(0, blob.length - 1))).toThrow(CorruptDataError);
    } finally {
      model.dispose();
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
