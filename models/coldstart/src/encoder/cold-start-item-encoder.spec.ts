import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import { initTensorBackend } from '@tessera/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColdStartItemEncoder } from './cold-start-item-encoder';
import type { FusionStrategy, ItemEncoderConfig } from './item-encoder.config';
import type { ItemTokens } from './item-tokens.types';
import { HashedVocabulary } from './hashed-vocabulary';
import { ItemContentTokenizer } from './item-content.tokenizer';

beforeAll(async () => {
  await initTensorBackend('cpu');
});

const rng = new Rng(17);
const frames = (n: number, dim: number) =>
  Array.from({ length: n }, () => Float32Array.from({ length: dim }, () => rng.normal()));
const config = (fusion: FusionStrategy): ItemEncoderConfig => ({
  dModel: 16,
  numHeads: 4,
  layers: 1,
  fusionLayers: 1,
  fusion,
  seed: 5,
  modalities: [
    { name: 'text', kind: 'ids', vocabSize: 50, maxLength: 8 },
    { name: 'image', kind: 'dense', inputDim: 6, maxLength: 4 },
    { name: 'video', kind: 'dense', inputDim: 6, maxLength: 5 },
  ],
});
const textOnly: ItemTokens = { modalities: { text: { kind: 'ids', tokens: [3, 9, 11] } } };
const imageOnly: ItemTokens = { modalities: { image: { kind: 'dense', tokens: frames(2, 6) } } };
const video: ItemTokens = {
  modalities: { video: { kind: 'dense', tokens: frames(5, 6) }, text: { kind: 'ids', tokens: [4, 4, 7, 1, 2] } },
};
const close = (a: Float32Array, b: Float32Array, tol = 1e-5) => a.every((x, i) => Math.abs(x - b[i]) < tol);

describe.each(['token', 'mean', 'early'] as FusionStrategy[])('item encoder, %s fusion', (fusion) => {
  const enc = new ColdStartItemEncoder(config(fusion));
  afterAll(() => enc.dispose());

  it('text-only, image-only and video+text items all get finite d-dimensional embeddings', async () => {
    const out = await enc.encodeItems([textOnly, imageOnly, video]);
    expect(out).toHaveLength(3);
    for (const z of out) {
      expect(z).toBeInstanceOf(Float32Array);
      expect(z.length).toBe(16);
      expect(z.every(Number.isFinite)).toBe(true);
    }
    // Different content, different embeddings.
    expect(close(out[0], out[1])).toBe(false);
  });

  it("an item's embedding does not depend on its batch neighbours or on padding (masking = removing tokens)", async () => {
    const [alone] = await enc.encodeItems([textOnly]);
    const [, inBatch] = await enc.encodeItems([video, textOnly, imageOnly]);
    expect(close(alone, inBatch)).toBe(true);
    const padded: ItemTokens = { modalities: { text: { kind: 'ids', tokens: [3, 9, 11, 0, 0] } } };
    expect(close((await enc.encodeItems([padded, video]))[0], alone)).toBe(true);
    // A modality given with zero tokens is the same as no modality at all.
    const emptyImage: ItemTokens = { modalities: { ...textOnly.modalities, image: { kind: 'dense', tokens: [] } } };
    expect(close((await enc.encodeItems([emptyImage]))[0], alone)).toBe(true);
  });

  it('an item with no modality at all still encodes (to the learned empty embedding)', async () => {
    const [z] = await enc.encodeItems([{ modalities: {} }]);
    expect(z.every(Number.isFinite)).toBe(true);
  });

  it('leaves no tensors behind and gradients reach the token tables', async () => {
    const before = tf.memory().numTensors;
    await enc.encodeItems([textOnly, imageOnly, video], 2);
    expect(tf.memory().numTensors).toBe(before);
    const tok = enc.store.get('enc.text.tok');
    const { grads, value } = tf.variableGrads(
      () => tf.sum(tf.square(enc.encode([textOnly, video], { training: true, seed: 3 }).z)) as tf.Scalar,
      [tok],
    );
    const gSum = tf.tidy(() => grads[tok.name].abs().sum());
    const g = gSum.dataSync()[0];
    gSum.dispose();
    expect(g).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('item encoder inputs and config', () => {
  it('late fusion exposes per-modality CLS views with presence for the alignment loss', () => {
    const enc = new ColdStartItemEncoder(config('token'));
    tf.tidy(() => {
      const { views, z } = enc.encode([textOnly, imageOnly, video]);
      expect(z.shape).toEqual([3, 16]);
      expect(views.map((v) => Array.from(v.present))).toEqual([
        [1, 0, 1],
        [0, 1, 0],
        [0, 0, 1],
      ]);
      // Absent rows are exactly zero.
      expect(Array.from(views[1].h.slice([0, 0], [1, 16]).dataSync()).every((x) => x === 0)).toBe(true);
    });
    enc.dispose();
  });

  it('rejects bad configs with every problem listed', () => {
    expect(() => new ColdStartItemEncoder({ modalities: [], dModel: 10, numHeads: 4 })).toThrow(
      /not divisible.*at least one modality/,
    );
    expect(
      () => new ColdStartItemEncoder({ modalities: [{ name: 'x', kind: 'ids', vocabSize: 1, maxLength: 0 }] }),
    ).toThrow(InvalidInputError);
  });

  it('bad items get typed errors; encodeItemsReport goes on past them', async () => {
    const enc = new ColdStartItemEncoder(config('token'));
    await expect(enc.encodeItems([{ modalities: { text: { kind: 'ids', tokens: [50] } } }])).rejects.toThrow(
      /outside \[0, 50\)/,
    );
    await expect(enc.encodeItems([{ modalities: { image: { kind: 'dense', tokens: frames(1, 5) } } }])).rejects.toThrow(
      DimensionMismatchError,
    );
    await expect(enc.encodeItems([{ modalities: { audio: { kind: 'dense', tokens: frames(1, 6) } } }])).rejects.toThrow(
      /unknown modality 'audio'/,
    );
    const r = await enc.encodeItemsReport([
      textOnly,
      { modalities: { text: { kind: 'ids', tokens: [-1] } } },
      imageOnly,
    ]);
    expect(r.errors.map((e) => e.index)).toEqual([1]);
    expect(r.embeddings[1]).toBeNull();
    expect(close(r.embeddings[0]!, (await enc.encodeItems([textOnly]))[0])).toBe(true);
    enc.dispose();
  });
});

describe('content tokenizer (hashed vocabulary fallback, spec §7)', () => {
  it('hashes words deterministically into 1..buckets-1 and cuts at maxLength', () => {
    const v = new HashedVocabulary(64);
    const ids = v.encode('The Matrix: the MATRIX reloaded!');
    expect(ids).toHaveLength(5);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[1]).toBe(ids[3]);
    expect(ids.every((x) => x >= 1 && x < 64)).toBe(true);
    expect(v.encode('a b c d', 2)).toHaveLength(2);
  });

  it('builds one ids modality per group, leaves missing fields out, and round-trips its state', () => {
    const t = new ItemContentTokenizer([
      { name: 'text', fields: ['title', 'overview'], maxLength: 6 },
      { name: 'genres', fields: ['genres'], maxLength: 4, buckets: 128 },
      { name: 'cites', fields: [], neighbours: true, maxLength: 3 },
    ]);
    const toks = t.tokenize({
      itemId: 1,
      fields: { title: 'Toy Story', genres: 'Animation | Comedy' },
      neighbours: [5, 6, 7, 8],
    });
    expect(Object.keys(toks.modalities).sort()).toEqual(['cites', 'genres', 'text']);
    expect(toks.modalities.cites.tokens).toHaveLength(3);
    expect(t.tokenize({ itemId: 2, fields: { title: 'Heat' } }).modalities.genres).toBeUndefined();
    const back = ItemContentTokenizer.fromState(JSON.parse(JSON.stringify(t.state())));
    expect(back.tokenize({ itemId: 1, fields: { title: 'Toy Story' } })).toEqual(
      t.tokenize({ itemId: 1, fields: { title: 'Toy Story' } }),
    );
    expect(t.modalitySpecs()[1]).toEqual({ name: 'genres', kind: 'ids', vocabSize: 128, maxLength: 4 });
  });
});
