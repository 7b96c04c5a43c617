import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { assertNoLeak, initTensorBackend } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ItemContentTokenizer } from '../encoder';
import { buildBatch, indexInteractions } from './cold-start-batch';
import { parseColdStartConfig } from './cold-start.config';
import { ColdStartModel } from './cold-start-model';
import { loadColdStartModel, saveColdStartModel } from './cold-start-model.io';
import { ColdStartTrainer } from './cold-start.trainer';

beforeAll(async () => {
  await initTensorBackend('wasm');
});

const tokenizer = new ItemContentTokenizer([{ name: 'text', fields: ['text'], maxLength: 4, buckets: 64 }]);
const texts = ['red fox', 'blue whale', 'green frog', 'red wine', 'blue moon', 'green tea'];
const tokens = new Map(texts.map((t, i) => [i + 1, tokenizer.tokenize({ itemId: i + 1, fields: { text: t } })]));
const interactions = [
  { userId: 1, itemId: 1 },
  { userId: 1, itemId: 4 },
  { userId: 1, itemId: 6 },
  { userId: 2, itemId: 2 },
  { userId: 2, itemId: 5 },
  { userId: 3, itemId: 3 },
  { userId: 3, itemId: 6 },
];
const historyOf = new Map<number, number[]>();
for (const x of interactions) historyOf.set(x.userId, [...(historyOf.get(x.userId) ?? []), x.itemId]);

describe('history user tower: batches', () => {
  it("samples at most `size` of each user's positives and never an item the batch asks them to rank", () => {
    const index = indexInteractions(interactions);
    for (let seed = 1; seed <= 20; seed++) {
      const b = buildBatch(
        interactions.slice(0, 4),
        index,
        (u) => u - 1,
        new Rng(seed),
        { negativesPerUser: 1, maxSampledItems: 4 },
        { of: historyOf, size: 1 },
      )!;
      const h = b.history!;
      const perUser = new Map<number, number[]>();
      h.pairUser.forEach((u, k) => perUser.set(u, [...(perUser.get(u) ?? []), h.itemIds[h.pairItem[k]]]));
      // Batch positives: user 1 → 1, 4, 6; user 2 → 2. User 1 has nothing left; user 2 keeps item 5.
      expect(perUser.get(b.userIds.indexOf(1))).toBeUndefined();
      expect(perUser.get(b.userIds.indexOf(2))).toEqual([5]);
      expect(new Set(h.itemIds).size).toBe(h.itemIds.length);
    }
  });
});

describe('history user tower: model', () => {
  const config = parseColdStartConfig({ dModel: 8, numHeads: 2, dropout: 0, userTower: 'history', seed: 4 });
  const newModel = () => new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, [1, 2, 3], tokenizer);

  it('gives a user the same vector whatever the order or duplication of the history rows', () => {
    const model = new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, [1, 2, 3], tokenizer);
    try {
      const items = [tokens.get(1)!, tokens.get(4)!, tokens.get(2)!];
      const v = tf.tidy(() =>
        model
          .historyVectors({
            items,
            // user 0 holds 1 and 4; user 1 holds 4 and 1 (same set, other order); user 2 holds 2
            pairUser: Int32Array.from([0, 0, 1, 1, 2]),
            pairItem: Int32Array.from([0, 1, 1, 0, 2]),
            users: 3,
          })
          .arraySync(),
      );
      v[0].forEach((x, k) => expect(v[1][k]).toBeCloseTo(x, 6));
      expect(Math.max(...v[0].map((x, k) => Math.abs(x - v[2][k])))).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  });

  it('trains the encoder without per-user parameters, leaks nothing, and fills the user table for serving', async () => {
    const model = newModel();
    const trainer = new ColdStartTrainer(config, model);
    try {
      const index = indexInteractions(interactions);
      const batch = buildBatch(interactions, index, (u) => model.rowOf(u), new Rng(1), config, {
        of: historyOf,
        size: 2,
      })!;
      const table = tf.clone(model.userTable);
      const loss = await trainer.stepAsync(batch, (id) => tokens.get(id), 1);
      expect(Number.isFinite(loss)).toBe(true);
      expect(await assertNoLeak(() => trainer.stepAsync(batch, (id) => tokens.get(id), 2))).toBe(0);
      // The table is not a training parameter of this tower ...
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(table, model.userTable))).dataSync()[0])).toBe(0);
      // ... it is written from the histories: a user's row equals the tower on their history.
      model.materializeUsers((u) => (historyOf.get(u) ?? []).map((id) => tokens.get(id)!));
      const expected = tf.tidy(
        () =>
          model
            .historyVectors({
              items: [1, 4, 6].map((id) => tokens.get(id)!),
              pairUser: Int32Array.from([0, 0, 0]),
              pairItem: Int32Array.from([0, 1, 2]),
              users: 1,
            })
            .arraySync()[0],
      );
      const row = (await model.userEmbedding(1))!;
      expected.forEach((x, k) => expect(row[k]).toBeCloseTo(x, 5));
      table.dispose();
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  it('saves and loads back with its tower (same user rows, same tower output)', async () => {
    const model = newModel();
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-tower-')), 'v1');
    try {
      model.materializeUsers((u) => (historyOf.get(u) ?? []).map((id) => tokens.get(id)!));
      await saveColdStartModel(dir, model, {
        version: 'v1',
        status: 'complete',
        data: {},
        config,
        metrics: {},
        seed: 4,
      });
      const { model: back } = await loadColdStartModel(dir);
      try {
        expect(back.userTower).toBe('history');
        expect(Array.from((await back.userEmbedding(2))!)).toEqual(Array.from((await model.userEmbedding(2))!));
        const h = { items: [tokens.get(3)!], pairUser: Int32Array.from([0]), pairItem: Int32Array.from([0]), users: 1 };
        const a = tf.tidy(() => model.historyVectors(h).arraySync());
        const b = tf.tidy(() => back.historyVectors(h).arraySync());
        expect(b).toEqual(a);
      } finally {
        back.dispose();
      }
    } finally {
      model.dispose();
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
