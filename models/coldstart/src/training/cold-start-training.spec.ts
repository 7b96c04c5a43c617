import { InvalidInputError, Rng } from '@tessera/common';
import { assertNoLeak, initTensorBackend, maxAbsDiff, runOnBackends } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { ColdStartItemEncoder, ItemContentTokenizer } from '../encoder';
import { ColdStartModel } from './cold-start-model';
import { ColdStartTrainer } from './cold-start.trainer';
import { buildBatch, indexInteractions } from './cold-start-batch';
import { parseColdStartConfig } from './cold-start.config';

describe('ColdStartConfig', () => {
  it('fills documented defaults (spec §3.3 where it fits a CPU)', () => {
    const c = parseColdStartConfig();
    expect(c).toMatchObject({
      temperature: 0.5,
      alignmentTemperature: 0.07,
      encoderLr: 1e-4,
      userLr: 1e-3,
      batchSize: 512,
      negativesPerUser: 32,
      fusion: 'token',
      loss: 'sampled-softmax',
    });
  });

  it('lists every bad key in one typed error', () => {
    try {
      parseColdStartConfig({ temperature: -1, batchSize: 1, fusion: 'late' as 'mean' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as Error).message).toMatch(/temperature.*batchSize.*fusion|temperature/);
      expect(((e as InvalidInputError).details.problems as string[]).length).toBe(3);
    }
    expect(() => parseColdStartConfig({ dModel: 30, numHeads: 4 })).toThrow(/divisible/);
  });
});

describe('buildBatch', () => {
  const interactions = [
    { userId: 1, itemId: 10, rating: 5 },
    { userId: 1, itemId: 11, rating: 2 },
    { userId: 2, itemId: 10, rating: 4 },
    { userId: 2, itemId: 12, rating: 4.5 },
    { userId: 3, itemId: 13, rating: 5 },
  ];
  const index = indexInteractions([...interactions, { userId: 9, itemId: 14 }, { userId: 9, itemId: 15 }]);
  const rows = new Map([
    [1, 0],
    [2, 1],
    [3, 2],
  ]);

  it('encodes each distinct item once, adds sampled items and marks every known interaction', () => {
    const pos = interactions.filter((x) => x.rating >= 4);
    const b = buildBatch(pos, index, (u) => rows.get(u), new Rng(1), { negativesPerUser: 1, maxSampledItems: 10 })!;
    expect(b.userIds).toEqual([1, 2, 3]);
    expect(Array.from(b.userRows)).toEqual([0, 1, 2]);
    expect(b.itemIds.slice(0, 3)).toEqual([10, 12, 13]);
    // Three sampled items at most (1 per user), drawn from the rest of the catalogue.
    expect(b.itemIds.length).toBeLessThanOrEqual(6);
    expect(new Set(b.itemIds).size).toBe(b.itemIds.length);
    expect(Array.from(b.posUser)).toEqual([0, 1, 1, 2]);
    expect(Array.from(b.posItem)).toEqual([0, 0, 1, 2]);
    const nI = b.itemIds.length;
    const col11 = b.itemIds.indexOf(11);
    // User 1 rated item 11 (rating 2): interacted, so out of the softmax denominator, rating kept.
    if (col11 >= 0) {
      expect(b.interacted[0 * nI + col11]).toBe(1);
      expect(b.ratings![0 * nI + col11]).toBe(2);
    }
    expect(b.interacted[2 * nI + 0]).toBe(0);
  });

  it('skips users without an embedding row and returns null when nothing is left', () => {
    expect(
      buildBatch([{ userId: 42, itemId: 10 }], index, (u) => rows.get(u), new Rng(1), {
        negativesPerUser: 1,
        maxSampledItems: 4,
      }),
    ).toBeNull();
  });
});

describe('encoder on wasm and cpu', () => {
  it('gives the same embeddings on both backends', async () => {
    const rng = new Rng(2);
    const items = Array.from({ length: 4 }, () => ({
      modalities: { text: { kind: 'ids' as const, tokens: Array.from({ length: 5 }, () => 1 + rng.int(30)) } },
    }));
    const out = await runOnBackends(['cpu', 'wasm'], async () => {
      const enc = new ColdStartItemEncoder({
        dModel: 16,
        numHeads: 4,
        seed: 3,
        modalities: [{ name: 'text', kind: 'ids', vocabSize: 32, maxLength: 8 }],
      });
      const z = (await enc.encodeItems(items)).flatMap((v) => Array.from(v));
      enc.dispose();
      return z;
    });
    expect(maxAbsDiff(out.cpu, out.wasm)).toBeLessThan(1e-4);
    await initTensorBackend('wasm');
  });
});

describe('alignment loss in a training step', () => {
  it('adds λ·InfoNCE on top of the ranking loss for the same weights and batch, without leaking', async () => {
    const tokenizer = new ItemContentTokenizer([
      { name: 'a', fields: ['text'], maxLength: 4, buckets: 32 },
      { name: 'b', fields: ['text'], maxLength: 2, buckets: 16 },
    ]);
    const texts = ['red fox', 'blue whale', 'green frog', 'red wine', 'blue moon'];
    const tokens = new Map(texts.map((t, i) => [i + 1, tokenizer.tokenize({ itemId: i + 1, fields: { text: t } })]));
    const interactions = [
      { userId: 1, itemId: 1 },
      { userId: 1, itemId: 4 },
      { userId: 2, itemId: 2 },
      { userId: 2, itemId: 5 },
      { userId: 3, itemId: 3 },
    ];
    const index = indexInteractions(interactions);
    const losses: number[] = [];
    for (const alignmentWeight of [0, 0.5]) {
      const config = parseColdStartConfig({ dModel: 8, numHeads: 2, dropout: 0, alignmentWeight, seed: 9 });
      const model = new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, [1, 2, 3], tokenizer);
      const trainer = new ColdStartTrainer(config, model);
      const batch = buildBatch(interactions, index, (u) => model.rowOf(u), new Rng(1), config)!;
      losses.push(await trainer.stepAsync(batch, (id) => tokens.get(id), 1));
      expect(await assertNoLeak(() => trainer.stepAsync(batch, (id) => tokens.get(id), 1))).toBe(0);
      trainer.dispose();
      model.dispose();
    }
    // InfoNCE over 5 items is near ln 5 at initialisation; ×0.5 it clearly shows.
    expect(losses[1] - losses[0]).toBeGreaterThan(0.3);
    expect(Number.isFinite(losses[1])).toBe(true);
  });
});
