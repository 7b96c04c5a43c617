import * as tf from '@tensorflow/tfjs';
import { NotFoundError } from '@tessera/common';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { loadLayersModel, saveLayersModel } from './layers-model-io';

describe('LayersModel save/load without tfjs-node', () => {
  let root: string;
  beforeAll(async () => {
    await initTensorBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'tessera-layers-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips a trained tf.layers model with identical predictions', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({
          inputDim: 10,
          outputDim: 4,
          inputLength: 3,
          embeddingsInitializer: tf.initializers.randomNormal({ seed: 1 }),
        }),
        tf.layers.flatten(),
        tf.layers.dense({
          units: 5,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        }),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const x = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      [3, 3],
      'int32',
    );
    const y = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    // training exercises the embedding gradient (UnsortedSegmentSum on wasm)
    const h = await model.fit(x, y, { epochs: 5, batchSize: 3, verbose: 0, shuffle: false });
    expect(h.history.loss[4] as number).toBeLessThan(h.history.loss[0] as number);
    const dir = join(root, 'm');
    await saveLayersModel(model, dir, { meta: { modelId: 'toy' } });
    expect((await readdir(dir)).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
    const loaded = await loadLayersModel(dir);
    const a = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
    const b = tf.tidy(() => Array.from((loaded.predict(x) as tf.Tensor).dataSync()));
    expect(b).toEqual(a);
    await expect(loadLayersModel(join(root, 'missing'))).rejects.toBeInstanceOf(NotFoundError);
    model.dispose();
    loaded.dispose();
    tf.dispose([x, y]);
  });
});
