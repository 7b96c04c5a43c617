import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { addNChunkedWebGpuFix } from './add-n-chunked.kernel';

// The fix reads the WebGPU device's storage-buffer limit; on cpu (no device) it assumes WebGPU's
// default of 8, so installing it for cpu exercises the chunking on any machine.
describe('AddN-chunked@webgpu', () => {
  let undo: () => void;
  beforeAll(async () => {
    await initTensorBackend('cpu');
    undo = addNChunkedWebGpuFix.install('cpu');
  });
  afterAll(async () => {
    undo();
    await initTensorBackend('wasm');
  });

  it('sums 1 to 64 inputs exactly like the plain sum, leaving nothing behind', async () => {
    for (const count of [1, 2, 7, 8, 15, 49, 64]) {
      const xs = Array.from({ length: count }, (_, i) => tf.tensor1d([i + 1, -(i + 1) * 0.5, 0.25]));
      const before = tf.memory().numTensors;
      const sum = tf.addN(xs);
      expect(tf.memory().numTensors).toBe(before + 1);
      const total = (count * (count + 1)) / 2;
      expect(Array.from(await sum.data())).toEqual([total, -total * 0.5, 0.25 * count]);
      tf.dispose([sum, ...xs]);
    }
  });

  it('keeps the AddN gradient (each input gets dy)', async () => {
    const xs = Array.from({ length: 20 }, (_, i) => tf.scalar(i));
    const grads = tf.grads((...a: tf.Tensor[]) => tf.mul(tf.addN(a), 3))(xs);
    expect(await Promise.all(grads.map(async (g) => (await g.data())[0]))).toEqual(new Array(20).fill(3));
    tf.dispose([...grads, ...xs]);
  });
});
