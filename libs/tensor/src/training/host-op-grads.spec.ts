import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError } from '@tessera/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { type HostOp, hostOpValueAndGrads } from './host-op-grads';

/** y = x³ elementwise, on the host. */
const cube: HostOp = {
  forward(input, shape) {
    return {
      output: input.map((v) => v * v * v),
      shape: [...shape],
      backward: (dy) => dy.map((g, i) => 3 * input[i] * input[i] * g),
    };
  },
};

describe('hostOpValueAndGrads', () => {
  beforeAll(async () => {
    await initTensorBackend('cpu');
  });
  afterAll(async () => {
    await initTensorBackend('wasm');
  });

  it('matches autodiff through the same composite (loss and every variable gradient)', async () => {
    const w = tf.variable(tf.tensor2d([0.5, -1, 0.25, 2, -0.75, 1.5], [2, 3]), true, 'hostop.w');
    const x = tf.tensor2d([1, -2, 0.5, 3], [2, 2]);
    const c = tf.tensor2d([0.3, -0.2, 0.1, 0.7, 0.4, -0.6], [2, 3]);
    const front = () => tf.matMul(x, w);
    const back = (y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(y), c)) as tf.Scalar;
    const before = tf.memory().numTensors;
    const r = await hostOpValueAndGrads(front, cube, back, [w]);
    expect(tf.memory().numTensors).toBe(before + 1); // only the gradient survives
    const ref = tf.variableGrads(() => back(tf.pow(front(), 3)), [w]);
    expect(r.value).toBeCloseTo((await ref.value.data())[0], 5);
    const got = await r.grads['hostop.w'].data();
    const want = await ref.grads['hostop.w'].data();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    tf.dispose([r.grads['hostop.w']]);
    tf.dispose([ref.value, ref.grads['hostop.w'], w, x, c]);
  });

  it('rejects a backward that returns the wrong number of values', async () => {
    const w = tf.variable(tf.ones([2]), true, 'hostop.w2');
    const bad: HostOp = {
      forward: (input, shape) => ({ output: input, shape: [...shape], backward: () => new Float32Array(1) }),
    };
    await expect(
      hostOpValueAndGrads(
        () => tf.mul(w, 2),
        bad,
        (y) => tf.sum(y),
        [w],
      ),
    ).rejects.toBeInstanceOf(DimensionMismatchError);
    w.dispose();
  });
});
