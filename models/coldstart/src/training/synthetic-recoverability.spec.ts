import { initTensorBackend } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { BprMfRecommender, DEFAULT_BPR_CONFIG, evaluateTask, trainingSetOf } from '../baselines';
import { ColdStartData } from '../data';
import { ItemContentTokenizer } from '../encoder';
import { parseColdStartConfig } from './cold-start.config';
import { ColdStartModel } from './cold-start-model';
import { ColdStartTrainer } from './cold-start.trainer';
import { evaluateRankingTask } from './cold-validation';
import { syntheticClusterDataset } from './synthetic-clusters.testing';

beforeAll(async () => {
  await initTensorBackend('wasm');
});

describe('synthetic recoverability (spec §9.5): content determines taste', () => {
  it.each(['free', 'history'] as const)(
    'the content-only encoder (%s users) ranks cold items near-perfectly while ID-only MF stays at chance',
    { timeout: 240_000 },
    async (userTower) => {
      const { dataset } = syntheticClusterDataset({ seed: 3, noiseWords: 1 });
      const data = ColdStartData.build(dataset, { seed: 11, warmHoldout: 0 });
      const train = trainingSetOf(data, dataset);
      const tokenizer = new ItemContentTokenizer([{ name: 'text', fields: ['text'], maxLength: 8, buckets: 128 }]);
      const config = parseColdStartConfig({
        dModel: 16,
        numHeads: 2,
        layers: 1,
        fusionLayers: 1,
        dropout: 0,
        batchSize: 256,
        negativesPerUser: 4,
        maxSampledItems: 64,
        encoderLr: 1e-2,
        userLr: 3e-2,
        epochs: 12,
        patience: 3,
        seed: 2,
        userTower,
      });
      const model = new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, train.users, tokenizer);
      const itemTokens = new Map(train.allItems.map((id) => [id, tokenizer.tokenize(dataset.contents.get(id)!)]));
      const trainer = new ColdStartTrainer(config, model);
      const valTask = data.task('cold', 'val');
      const report = await trainer.fit({
        interactions: train.interactions,
        positives: train.positives,
        itemTokens,
        validation: valTask,
      });
      const test = data.task('cold', 'test');
      const encoder = await evaluateRankingTask(model, test, (id) => itemTokens.get(id), [10]);
      // The optimum is 1 by construction (every liked-cluster cold item fits in the top 10).
      expect(encoder['recall@10']).toBeGreaterThan(0.95);
      expect(report.bestValidation).toBeGreaterThan(0.9);
      expect(report.history[0].loss).toBeGreaterThan(report.history[report.history.length - 1].loss);

      const mf = new BprMfRecommender(DEFAULT_BPR_CONFIG);
      mf.fit(train);
      const idOnly = await evaluateTask(mf, test, [10]);
      // Chance: a random top 10 of 32 cold items holds about 10/32 of a user's relevant ones.
      const chance = 10 / test.candidates.length;
      expect(idOnly['recall@10']).toBeLessThan(chance + 0.2);
      expect(encoder['recall@10'] - idOnly['recall@10']).toBeGreaterThan(0.5);
      trainer.dispose();
      model.dispose();
    },
  );
});
