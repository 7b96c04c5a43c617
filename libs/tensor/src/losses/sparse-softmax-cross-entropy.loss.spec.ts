import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, Rng } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { gradientCheck } from '../testing/gradient-check';
import { maxAbsDiff, runOnBackends } from '../testing/run-on-backends';
import { sparseSoftmaxCrossEntropy } from './sparse-softmax-cross-entropy.loss';

describe('sparseSoftmaxCrossEntropy', () => {
  beforeAll(async () => {
    await initTensorBackend('wasm');
  });

  it('is ln V for equal logits (known answer)', () => {
    const v = tf.tidy(
      () => sparseSoftmaxCrossEntropy(tf.zeros([3, 7]) as tf.Tensor2D, tf.tensor1d([0, 3, 6], 'int32')).dataSync()[0],
    );
    expect(v).toBeCloseTo(Math.log(7), 5);
  });

  it('matches a float64 reference, including very confident wrong predictions', () => {
    const z = [
      [2, -1, 0.5],
      [300, 0, -300],
      [-40, 40, 0],
    ];
    const y = [0, 2, 0];
    const ref = z.map((row, i) => {
      const m = Math.max(...row);
      return m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)) - row[y[i]];
    });
    const expected = ref.reduce((s, x) => s + x, 0) / 3;
    const v = tf.tidy(() => sparseSoftmaxCrossEntropy(tf.tensor2d(z), tf.tensor1d(y, 'int32')).dataSync()[0]);
    expect(Number.isFinite(v)).toBe(true);
    expect(Math.abs(v - expected) / expected).toBeLessThan(1e-5);
  });

  it('passes a gradient check and agrees with tf.losses.softmaxCrossEntropy on wasm and cpu', async () => {
    const r = new Rng(3);
    const z = Array.from({ length: 4 * 5 }, () => r.normal() * 2);
    const y = [1, 4, 0, 2];
    const res = await runOnBackends(['cpu', 'wasm'], () => {
      const zt = tf.tensor2d(z, [4, 5]);
      const yt = tf.tensor1d(y, 'int32');
      const check = gradientCheck((l) => sparseSoftmaxCrossEntropy(l as tf.Tensor2D, yt), [zt], { eps: 1e-2 });
      const out = tf.tidy(() => {
        const ours = tf.grad((l: tf.Tensor) => sparseSoftmaxCrossEntropy(l as tf.Tensor2D, yt))(zt);
        const stock = tf.grad(
          (l: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(yt, 5, 1, 0, 'float32'), l) as tf.Scalar,
        )(zt);
        return { ours: Array.from(ours.dataSync()), stock: Array.from(stock.dataSync()) };
      });
      tf.dispose([zt, yt]);
      return { check, ...out };
    });
    expect(res.cpu.check.ok).toBe(true);
    expect(res.wasm.check.ok).toBe(true);
    expect(maxAbsDiff(res.wasm.ours, res.wasm.stock)).toBeLessThan(1e-6);
    expect(maxAbsDiff(res.wasm.ours, res.cpu.ours)).toBeLessThan(1e-6);
  });

  it('rejects mismatched or out-of-range labels', () => {
    expect(() =>
      tf.tidy(() => sparseSoftmaxCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([0], 'int32'))),
    ).toThrow(DimensionMismatchError);
    expect(() =>
      tf.tidy(() =>
        sparseSoftmaxCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, tf.tensor1d([0, 3], 'int32'), { validate: true }),
      ),
    ).toThrow(DimensionMismatchError);
  });
});
