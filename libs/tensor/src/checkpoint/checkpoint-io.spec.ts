import * as tf from '@tensorflow/tfjs';
import { CorruptDataError, DimensionMismatchError, NotFoundError } from '@tessera/common';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { Dense } from '../layers/dense';
import { ParamStore } from '../layers/param-store';
import { TransformerEncoder } from '../layers/transformer-encoder';
import { sparseSoftmaxCrossEntropy } from '../losses/sparse-softmax-cross-entropy.loss';
import { trainStepAsync } from '../training/train-step';
import { loadCheckpoint, readCheckpointManifest, saveCheckpoint } from './checkpoint-io';

/** A tiny causal LM built the same way each time (same names, same shapes). */
function buildModel(seed: number) {
  const store = new ParamStore();
  const encoder = new TransformerEncoder(
    store,
    'enc',
    { numLayers: 1, dModel: 8, numHeads: 2, vocabSize: 13, maxLength: 6, dropout: 0.1 },
    seed,
  );
  const head = new Dense(store, 'head', 8, 13, seed + 1);
  const logits = (ids: tf.Tensor2D, training: boolean, stepSeed?: number) =>
    tf.reshape(head.apply(encoder.apply(ids, { causal: true, training, seed: stepSeed })), [-1, 13]) as tf.Tensor2D;
  return { store, logits };
}

describe('checkpoints', () => {
  let root: string;
  const ids = () =>
    tf.tensor2d(
      [
        [1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10],
      ],
      [2, 5],
      'int32',
    );
  const labels = () => tf.tensor1d([2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'int32');

  beforeAll(async () => {
    await initTensorBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'tessera-ckpt-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips parameters and Adam state: same predictions and the same next training step', async () => {
    const x = ids();
    const y = labels();
    const a = buildModel(1);
    const optA = tf.train.adam(1e-2);
    const loss = (m: ReturnType<typeof buildModel>, step: number) => () =>
      sparseSoftmaxCrossEntropy(m.logits(x, true, step), y);
    for (let s = 1; s <= 3; s++) await trainStepAsync(optA, a.store, loss(a, s));
    const dir = join(root, 'lm');
    const manifest = await saveCheckpoint(dir, a.store, {
      optimizer: optA,
      meta: { modelId: 'tiny-lm', step: 3, seed: 1 },
    });
    expect(manifest.optimizer?.className).toBe('Adam');
    expect(manifest.optimizer?.iterations).toBe(3);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'meta.json', 'weights.bin']);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);

    // a different initialisation, then load
    const b = buildModel(99);
    const optB = tf.train.adam(1e-2);
    const { meta } = await loadCheckpoint(dir, b.store, { optimizer: optB });
    expect(meta).toEqual({ modelId: 'tiny-lm', step: 3, seed: 1 });

    const predA = tf.tidy(() => Array.from(a.logits(x, false).dataSync()));
    const predB = tf.tidy(() => Array.from(b.logits(x, false).dataSync()));
    expect(predB).toEqual(predA);

    const lossA = await trainStepAsync(optA, a.store, loss(a, 4));
    const lossB = await trainStepAsync(optB, b.store, loss(b, 4));
    expect(lossB).toBe(lossA);
    for (const name of a.store.names()) {
      expect(Array.from(b.store.get(name).dataSync())).toEqual(Array.from(a.store.get(name).dataSync()));
    }
    tf.dispose([x, y]);
    a.store.dispose();
    b.store.dispose();
    optA.dispose();
    optB.dispose();
  });

  it('replaces an existing checkpoint atomically and refuses corrupt or mismatched ones without touching the store', async () => {
    const m = buildModel(2);
    const dir = join(root, 'replace');
    await saveCheckpoint(dir, m.store, { meta: { v: 1 } });
    await saveCheckpoint(dir, m.store, { meta: { v: 2 } });
    expect((await readCheckpointManifest(dir)).meta).toEqual({ v: 2 });
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);

    const other = buildModel(3);
    const before = Array.from(other.store.get('head.w').dataSync());
    const bin = await readFile(join(dir, 'weights.bin'));
    bin[10] ^= 0xff;
    await writeFile(join(dir, 'weights.bin'), bin);
    await expect(loadCheckpoint(dir, other.store)).rejects.toBeInstanceOf(CorruptDataError);
    expect(Array.from(other.store.get('head.w').dataSync())).toEqual(before);

    await expect(loadCheckpoint(join(root, 'nope'), other.store)).rejects.toBeInstanceOf(NotFoundError);

    const wider = new ParamStore();
    new Dense(wider, 'head', 9, 13, 1);
    await saveCheckpoint(join(root, 'wide'), wider, {});
    await expect(loadCheckpoint(join(root, 'wide'), other.store, { strict: false })).rejects.toBeInstanceOf(
      DimensionMismatchError,
    );
    await expect(loadCheckpoint(join(root, 'wide'), other.store)).rejects.toBeInstanceOf(DimensionMismatchError);
    [m, other].forEach((x) => x.store.dispose());
    wider.dispose();
  });
});
