import { CorruptDataError } from '@tessera/common';
import { assertNoLeak, initTensorBackend } from '@tessera/tensor';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainingSetOf } from '../baselines';
import { ColdStartData } from '../data';
import { ItemContentTokenizer } from '../encoder';
import { buildBatch, indexInteractions } from './cold-start-batch';
import { parseColdStartConfig } from './cold-start.config';
import { ColdStartModel } from './cold-start-model';
import { loadColdStartModel, saveColdStartModel } from './cold-start-model.io';
import { ColdStartTrainer, servingHistories } from './cold-start.trainer';
import { runColdStartTraining } from './cold-start-training.run';
import { syntheticClusterDataset } from './synthetic-clusters.testing';
import { Rng } from '@tessera/common';

let root: string;
beforeAll(async () => {
  await initTensorBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'coldstart-io-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const { dataset } = syntheticClusterDataset({ seed: 5, clusters: 4, itemsPerCluster: 20, users: 24, noiseWords: 1 });
const data = ColdStartData.build(dataset, { seed: 3, warmHoldout: 0 });
const train = trainingSetOf(data, dataset);
const tokenizer = new ItemContentTokenizer([{ name: 'text', fields: ['text'], maxLength: 6, buckets: 64 }]);
const itemTokens = new Map(train.allItems.map((id) => [id, tokenizer.tokenize(dataset.contents.get(id)!)]));
const config = parseColdStartConfig({
  dModel: 8,
  numHeads: 2,
  batchSize: 64,
  maxSampledItems: 16,
  encoderLr: 3e-3,
  userLr: 1e-2,
  epochs: 3,
  patience: 3,
  dropout: 0.1,
  seed: 4,
});
const newModel = () => new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, train.users, tokenizer);
const allTokens = train.allItems.map((id) => itemTokens.get(id)!);
const trainingData = {
  interactions: train.interactions,
  positives: train.positives,
  itemTokens,
  validation: data.task('cold', 'val'),
};

describe('cold-start training step and model folder', () => {
  it('a training step leaks no tensors and changes the weights', async () => {
    const model = newModel();
    const trainer = new ColdStartTrainer(config, model);
    const batch = buildBatch(
      train.positives.slice(0, 64),
      indexInteractions(train.interactions),
      (u) => model.rowOf(u),
      new Rng(1),
      config,
    )!;
    const before = await model.encodeItems(allTokens.slice(0, 3));
    const leak = await assertNoLeak(() => trainer.stepAsync(batch, (id) => itemTokens.get(id), 7));
    expect(leak).toBe(0);
    expect((await model.encodeItems(allTokens.slice(0, 3)))[0]).not.toEqual(before[0]);
    trainer.dispose();
    model.dispose();
  });

  it('save → load gives the same item embeddings, user embeddings and scores; a corrupt file is refused', async () => {
    const model = newModel();
    const trainer = new ColdStartTrainer({ ...config, epochs: 1 }, model);
    await trainer.fit(trainingData);
    const dir = join(root, 'models', 'coldstart', 'v-test');
    const card = await saveColdStartModel(dir, model, {
      version: 'v-test',
      status: 'complete',
      data: { name: dataset.name },
      config,
      metrics: { x: 1 },
      seed: 4,
    });
    expect(card.dim).toBe(8);
    const { model: back, card: readCard } = await loadColdStartModel(dir);
    expect(readCard.backend.name).toBe('wasm');
    expect(readCard.encoder.fusion).toBe('token');
    // the same card for people, written with the folder
    expect(await readFile(join(dir, 'card.md'), 'utf8')).toMatch(
      /^# Model card: tessera-coldstart-encoder v-test\n[^]*\| x \| 1 \|/,
    );
    const a = await model.encodeItems(allTokens);
    const b = await back.encodeItems(allTokens);
    b.forEach((z, i) => expect(Array.from(z)).toEqual(Array.from(a[i])));
    expect(await back.userEmbedding(train.users[0])).toEqual(await model.userEmbedding(train.users[0]));
    expect(Array.from(await back.scoreUsers(train.users.slice(0, 3), b))).toEqual(
      Array.from(await model.scoreUsers(train.users.slice(0, 3), a)),
    );
    // The tokenizer travels with the model.
    expect(back.tokenize(dataset.contents.get(train.allItems[0])!)).toEqual(itemTokens.get(train.allItems[0]));
    // Flip a byte: loading refuses, the folder stays as it was.
    const w = join(dir, 'encoder', 'weights.bin');
    const bytes = await readFile(w);
    bytes[10] ^= 0xff;
    await writeFile(w, bytes);
    await expect(loadColdStartModel(dir)).rejects.toThrow(CorruptDataError);
    trainer.dispose();
    model.dispose();
    back.dispose();
  });

  it('a crashed run resumes from its last epoch and ends where an uninterrupted run ends', async () => {
    const base = {
      version: 'v1',
      config,
      tokenizer,
      userIds: train.users,
      data: trainingData,
      dataCard: { name: dataset.name },
    };
    const straight = await runColdStartTraining({ ...base, outputDir: join(root, 'straight') });
    const crashDir = join(root, 'crashed');
    await expect(
      runColdStartTraining({
        ...base,
        outputDir: crashDir,
        onProgress: (p) => {
          if (p.epoch === 2 && p.step === 1) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect((await stat(`${crashDir}.resume`)).isDirectory()).toBe(true);
    const resumed = await runColdStartTraining({ ...base, outputDir: crashDir });
    expect(resumed.report.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(resumed.report.bestEpoch).toBe(straight.report.bestEpoch);
    expect(resumed.card.status).toBe('complete');
    await expect(stat(`${crashDir}.resume`)).rejects.toThrow();
    const a = await straight.model.encodeItems(allTokens);
    const b = await resumed.model.encodeItems(allTokens);
    b.forEach((z, i) => z.forEach((x, k) => expect(x).toBeCloseTo(a[i][k], 5)));
    straight.model.dispose();
    resumed.model.dispose();
  });

  it('a lexical run serves the calibrated α and γ, with profiles built at them, from its saved folder', async () => {
    const lexConfig = parseColdStartConfig({ ...config, lexical: true, lexicalWeights: 'idf', epochs: 2 });
    const run = await runColdStartTraining({
      version: 'lex',
      config: lexConfig,
      tokenizer,
      userIds: train.users,
      data: trainingData,
      dataCard: { name: dataset.name },
      outputDir: join(root, 'lex'),
    });
    const chosen = run.card.training!.lexicalCalibration!.chosen;
    const { model: back } = await loadColdStartModel(join(root, 'lex'));
    try {
      for (const m of [run.model, back]) {
        expect(m.lexical!.sharpness.dataSync()[0]).toBeCloseTo(chosen.sharpness, 5);
        expect(await m.lexical!.scale()).toBeCloseTo(chosen.scale, 4);
      }
      const u = train.users[0];
      const expected = new ColdStartModel(
        { ...lexConfig, modalities: tokenizer.modalitySpecs() },
        train.users,
        tokenizer,
      );
      try {
        // Same weights, profiles rebuilt from scratch at the chosen α: equal to the served ones.
        expected.store.assign(Object.fromEntries(back.store.entries()));
        await expected.materializeProfiles(servingHistories(trainingData, lexConfig));
        expect(Array.from(back.profileOf(u)!.values)).toEqual(Array.from(expected.profileOf(u)!.values));
      } finally {
        expected.dispose();
      }
    } finally {
      back.dispose();
      run.model.dispose();
    }
  });
});
