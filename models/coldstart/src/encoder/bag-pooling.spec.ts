import * as tf from '@tensorflow/tfjs';
import { assertNoLeak, initTensorBackend } from '@tessera/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { ColdStartItemEncoder } from './cold-start-item-encoder';
import { HashedVocabulary } from './hashed-vocabulary';
import { ItemContentTokenizer } from './item-content.tokenizer';
import type { FusionStrategy, ItemEncoderConfig, PoolingStrategy } from './item-encoder.config';
import type { ItemTokens } from './item-tokens.types';

beforeAll(async () => {
  await initTensorBackend('cpu');
});

const config = (fusion: FusionStrategy, pooling: PoolingStrategy): ItemEncoderConfig => ({
  dModel: 8,
  numHeads: 2,
  fusion,
  pooling,
  seed: 3,
  modalities: [
    { name: 'tags', kind: 'ids', vocabSize: 30, maxLength: 6 },
    { name: 'cites', kind: 'ids', vocabSize: 20, maxLength: 4 },
  ],
});
const items: ItemTokens[] = [
  { modalities: { tags: { kind: 'ids', tokens: [3, 9, 11] }, cites: { kind: 'ids', tokens: [2] } } },
  { modalities: { cites: { kind: 'ids', tokens: [5, 6] } } },
  { modalities: { tags: { kind: 'ids', tokens: [7] } } },
];

/** Plain-JS LayerNorm (γ = 1, β = 0 at initialisation) of the mean of some table rows. */
function lnOfMean(rows: number[][]): number[] {
  const d = rows[0].length;
  const mean = Array.from({ length: d }, (_, k) => rows.reduce((a, r) => a + r[k], 0) / rows.length);
  const mu = mean.reduce((a, v) => a + v, 0) / d;
  const variance = mean.reduce((a, v) => a + (v - mu) ** 2, 0) / d;
  return mean.map((v) => (v - mu) / Math.sqrt(variance + 1e-5));
}

describe.each(['token', 'mean', 'early'] as FusionStrategy[])('cls+bag pooling, %s fusion', (fusion) => {
  it('adds LN(mean of the raw token embeddings over all present modalities) to the cls output', async () => {
    const plain = new ColdStartItemEncoder(config(fusion, 'cls'));
    const bag = new ColdStartItemEncoder(config(fusion, 'cls+bag'));
    try {
      // Same seed, same parameter order: the bag LayerNorm is the only extra (and it draws no randomness).
      const zc = await plain.encodeItems(items);
      const zb = await bag.encodeItems(items);
      const tags = bag.store.get('enc.tags.tok').arraySync() as number[][];
      const cites = bag.store.get('enc.cites.tok').arraySync() as number[][];
      const expected = [
        lnOfMean([tags[3], tags[9], tags[11], cites[2]]),
        lnOfMean([cites[5], cites[6]]),
        lnOfMean([tags[7]]),
      ];
      expected.forEach((e, i) => {
        const diff = Array.from(zb[i], (v, k) => v - zc[i][k]);
        diff.forEach((v, k) => expect(v).toBeCloseTo(e[k], 3));
      });
    } finally {
      plain.dispose();
      bag.dispose();
    }
  });

  it('padding ids do not change the embedding, and an item without tokens gets no bag term', async () => {
    const enc = new ColdStartItemEncoder(config(fusion, 'cls+bag'));
    try {
      const [a] = await enc.encodeItems([items[2]]);
      const [b] = await enc.encodeItems([{ modalities: { tags: { kind: 'ids', tokens: [7, 0, 0] } } }]);
      a.forEach((v, k) => expect(b[k]).toBeCloseTo(v, 5));
      const [empty] = await enc.encodeItems([{ modalities: {} }]);
      expect(empty.every(Number.isFinite)).toBe(true);
    } finally {
      enc.dispose();
    }
  });
});

describe('cls+bag training step', () => {
  it('reaches the token rows through the bag term and leaves no tensors behind', async () => {
    const enc = new ColdStartItemEncoder(config('token', 'cls+bag'));
    const opt = tf.train.adam(1e-2);
    const vars = enc.store.trainable();
    let gradNorm = 0;
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const { z } = enc.encode(items, { training: true, seed: 1 });
          return tf.sum(tf.square(tf.sub(z, 1))) as tf.Scalar;
        }, vars);
        gradNorm = tf.norm(grads[enc.store.get('enc.tags.tok').name]).dataSync()[0];
        opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      });
    try {
      expect(await assertNoLeak(step, 3)).toBe(0);
      expect(gradNorm).toBeGreaterThan(0);
    } finally {
      opt.dispose();
      enc.dispose();
    }
  });

  it('rejects an unknown pooling name', () => {
    expect(() => new ColdStartItemEncoder(config('token', 'max' as PoolingStrategy))).toThrow(/pooling/);
  });
});

describe('label tokens', () => {
  it('turn each whole " | "-separated label into one id, normalised, without duplicates', () => {
    const v = new HashedVocabulary(1 << 12);
    const ids = v.encodeLabels(['Gene Expression | gene-expression | rna_seq', 'RNA seq | x'], 10);
    expect(ids).toEqual([v.idOf('#gene_expression'), v.idOf('#rna_seq'), v.idOf('#x')]);
    expect(v.encodeLabels(['a | b | c'], 2)).toHaveLength(2);
  });

  it('are what a labels group of the content tokenizer emits; word groups still split labels into words', () => {
    const content = { itemId: 1, fields: { tags: 'machine-learning | genomics' } };
    const labels = new ItemContentTokenizer([{ name: 'tags', fields: ['tags'], labels: true, maxLength: 8 }]);
    const words = new ItemContentTokenizer([{ name: 'tags', fields: ['tags'], maxLength: 8 }]);
    expect(labels.tokenize(content).modalities.tags?.tokens).toHaveLength(2);
    expect(words.tokenize(content).modalities.tags?.tokens).toHaveLength(3);
    // The flag is part of the saved state, so serving tokenises as training did.
    expect(ItemContentTokenizer.fromState(labels.state()).tokenize(content)).toEqual(labels.tokenize(content));
  });
});
