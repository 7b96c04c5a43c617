import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { assertNoLeak, initTensorBackend } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ColdStartDataset, IMPLICIT_POSITIVE, Interaction, ItemContent } from '../data';
import { ColdStartMethodRegistry } from './cold-start-method.registry';
import { evaluateColdStart } from './evaluate-cold-start';
import {
  DEFAULT_LABEL_CLASSIFIER_CONFIG,
  LabelClassifierConfig,
  LabelClassifierRecommender,
  labelTargets,
  multiLabelSigmoidLoss,
} from './label-classifier.recommender';

beforeAll(async () => {
  await initTensorBackend('cpu');
});

/** 4 clusters; the title words and the genre name the cluster; each user likes mostly one cluster. */
function clustered(seed = 5): ColdStartDataset {
  const rng = new Rng(seed);
  const words = ['space rocket alien', 'love romance wedding', 'murder detective crime', 'cartoon animated family'];
  const contents = new Map<number, ItemContent>();
  for (let i = 0; i < 160; i++)
    contents.set(i, { itemId: i, fields: { title: `${words[i % 4]} item${i}`, genres: `g${i % 4} | all` } });
  const interactions: Interaction[] = [];
  for (let u = 0; u < 40; u++)
    for (let i = 0; i < 160; i++)
      if (rng.next() < (i % 4 === u % 4 ? 0.3 : 0.01)) interactions.push({ userId: u, itemId: i });
  return { name: 'clustered', interactions, itemIds: [...contents.keys()], contents, positive: IMPLICIT_POSITIVE };
}

const config: LabelClassifierConfig = {
  ...DEFAULT_LABEL_CLASSIFIER_CONFIG,
  labelField: 'genres',
  modalities: [{ name: 'text', fields: ['title'], maxLength: 8, buckets: 512 }],
  encoder: { dModel: 16, numHeads: 2, layers: 1, fusionLayers: 1, fusion: 'token', dropout: 0 },
  epochs: 4,
  itemsPerBatch: 32,
  lr: 1e-2,
};

describe('label-classifier baseline (spec §7 baseline 5)', () => {
  it('multi-label sigmoid loss has the known values', () => {
    const at = (logit: number, target: number) =>
      tf.tidy(() => multiLabelSigmoidLoss(tf.tensor2d([[logit]]), tf.tensor2d([[target]])).dataSync()[0]);
    expect(at(0, 1)).toBeCloseTo(Math.LN2, 5);
    expect(at(2, 1)).toBeCloseTo(0.126928, 5);
    expect(at(2, 0)).toBeCloseTo(2.126928, 5);
    expect(at(-40, 0)).toBeCloseTo(0, 6);
  });

  it('builds multi-hot targets from " | "-separated labels, ignoring labels outside the vocabulary', () => {
    const contents = new Map<number, ItemContent>([
      [1, { itemId: 1, fields: { genres: 'Drama | Comedy' } }],
      [2, { itemId: 2, fields: { genres: 'Horror' } }],
      [3, { itemId: 3, fields: {} }],
    ]);
    const y = labelTargets(
      [1, 2, 3],
      contents,
      'genres',
      new Map([
        ['comedy', 0],
        ['drama', 1],
      ]),
    );
    expect([...y]).toEqual([1, 1, 0, 0, 0, 0]);
  });

  it("learns labels from text and ranks cold items of a user's cluster far above chance", async () => {
    const registry = new ColdStartMethodRegistry()
      .register('random', ({ seed }) => ({
        name: 'random',
        fit: () => undefined,
        scoreUsers: (u: readonly number[], c: readonly number[]) => {
          const r = new Rng(seed);
          return Float32Array.from({ length: u.length * c.length }, () => r.next());
        },
      }))
      .register('label-classifier', ({ seed }) => new LabelClassifierRecommender(config, seed));
    const report = await evaluateColdStart({
      dataset: clustered(),
      seeds: [1],
      methods: ['random', 'label-classifier'],
      ks: [10],
      settings: ['cold'],
      registry,
    });
    const cold = report.table.cold!;
    expect(cold['label-classifier']['ndcg@10'].mean).toBeGreaterThan(0.6);
    // 16 cold items only, so chance is high (about 0.45 here): ask for a clear margin over it.
    expect(cold['label-classifier']['ndcg@10'].mean).toBeGreaterThan(cold.random['ndcg@10'].mean + 0.15);
  });

  it('its loss falls over epochs and a training step leaves no tensors behind', async () => {
    const data = clustered();
    const m = new LabelClassifierRecommender({ ...config, epochs: 2 }, 2);
    const items = [...data.contents.keys()];
    await m.fit(
      {
        interactions: data.interactions,
        positives: data.interactions,
        users: [...new Set(data.interactions.map((x) => x.userId))],
        warmItems: items,
        allItems: items,
        seed: 2,
      },
      data.contents,
    );
    expect(m.history[1]).toBeLessThan(m.history[0]);
    const opt = tf.train.adam(1e-3);
    const batch = [{ modalities: { text: { kind: 'ids' as const, tokens: [3, 4] } } }];
    const y = new Float32Array(5);
    y[1] = 1;
    try {
      expect(await assertNoLeak(() => m.step(batch, y, opt, 1), 3)).toBe(0);
    } finally {
      opt.dispose();
      m.dispose();
    }
  });

  it('refuses a dataset whose training items have no labels', async () => {
    const m = new LabelClassifierRecommender({ ...config, labelField: 'missing' });
    const contents = new Map<number, ItemContent>([[1, { itemId: 1, fields: { title: 'x' } }]]);
    await expect(
      m.fit({ interactions: [], positives: [], users: [1], warmItems: [1], allItems: [1], seed: 1 }, contents),
    ).rejects.toThrow(InvalidInputError);
  });
});
