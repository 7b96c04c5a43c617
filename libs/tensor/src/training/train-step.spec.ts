import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { Dense } from '../layers/dense';
import { ParamStore } from '../layers/param-store';
import { TransformerEncoder } from '../layers/transformer-encoder';
import { sparseSoftmaxCrossEntropy } from '../losses/sparse-softmax-cross-entropy.loss';
import { assertNoLeak } from '../testing/leak-check';
import { trainStepAsync, trainStepWithGrads } from './train-step';

describe('trainStepAsync', () => {
  beforeAll(async () => {
    await initTensorBackend('wasm');
  });

  it('fits a fixed batch (loss falls), leaves no tensors behind, and clips by global norm', async () => {
    const store = new ParamStore();
    const enc = new TransformerEncoder(
      store,
      'enc',
      { numLayers: 2, dModel: 16, numHeads: 2, vocabSize: 20, maxLength: 8, dropout: 0.1 },
      4,
    );
    const head = new Dense(store, 'head', 16, 20, 5);
    const ids = tf.tensor2d(
      [
        [1, 5, 7, 9, 2, 3],
        [4, 4, 8, 1, 0, 6],
      ],
      [2, 6],
      'int32',
    );
    const next = tf.tensor1d([5, 7, 9, 2, 3, 11, 4, 8, 1, 0, 6, 12], 'int32');
    const keyMask = tf.tensor2d([
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 0],
    ]);
    const opt = tf.train.adam(1e-2);
    let step = 0;
    const loss = () => {
      step += 1;
      const h = enc.apply(ids, { causal: true, keyMask, training: true, seed: step });
      return sparseSoftmaxCrossEntropy(tf.reshape(head.apply(h), [-1, 20]) as tf.Tensor2D, next);
    };
    const first = await trainStepAsync(opt, store, loss);
    for (let i = 0; i < 40; i++) await trainStepAsync(opt, store, loss);
    const last = await trainStepAsync(opt, store, loss);
    expect(first).toBeGreaterThan(2.5); // about ln 20 = 3.0 at start
    expect(last).toBeLessThan(first * 0.5);

    await expect(assertNoLeak(() => trainStepAsync(opt, store, loss), 3)).resolves.toBe(0);

    const w = store.get('head.w');
    const before = w.dataSync().slice();
    const sgd = tf.train.sgd(1);
    const { gradNorm } = await trainStepWithGrads(sgd, store, loss, { clipNorm: 1e-3 });
    const after = w.dataSync();
    let moved = 0;
    for (let i = 0; i < before.length; i++) moved += (after[i] - before[i]) ** 2;
    expect(gradNorm).toBeGreaterThan(1e-3);
    // with lr 1 the whole update has norm clipNorm, so one tensor moves at most that much
    expect(Math.sqrt(moved)).toBeLessThanOrEqual(1e-3 * 1.001);
    expect(Math.sqrt(moved)).toBeGreaterThan(0);
    tf.dispose([ids, next, keyMask]);
    opt.dispose();
    sgd.dispose();
    store.dispose();
  });
});
