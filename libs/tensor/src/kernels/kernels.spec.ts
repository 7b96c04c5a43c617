import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { gradientCheck } from '../testing/gradient-check';
import { maxAbsDiff, runOnBackends } from '../testing/run-on-backends';
import { fastMatMul } from './fast-mat-mul';
import { transposeJs } from './transpose.kernel';

const randn = (n: number, seed: number): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
};

describe('kernel fixes', () => {
  beforeAll(async () => {
    await initTensorBackend('wasm');
  });

  it('registers UnsortedSegmentSum on wasm, matching cpu exactly', async () => {
    const x = randn(6 * 3, 1);
    const ids = [2, 0, 2, 4, -1, 0];
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => Array.from(tf.unsortedSegmentSum(tf.tensor2d(x, [6, 3]), tf.tensor1d(ids, 'int32'), 5).dataSync())),
    );
    expect(res.wasm).toHaveLength(15);
    expect(res.wasm).toEqual(res.cpu);
    // segment 1 and 3 get nothing; -1 is dropped
    expect(res.wasm.slice(3, 6)).toEqual([0, 0, 0]);
  });

  it('gives gather a gradient on wasm (embedding rows hit twice accumulate)', async () => {
    const table = randn(5 * 2, 2);
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => {
        const g = tf.grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.gather(t, tf.tensor1d([1, 3, 1], 'int32')),
              tf.tensor2d([
                [1, 2],
                [3, 4],
                [5, 6],
              ]),
            ),
          ),
        );
        return Array.from(g(tf.tensor2d(table, [5, 2])).dataSync());
      }),
    );
    expect(res.wasm).toEqual([0, 0, 6, 8, 0, 0, 3, 4, 0, 0]);
    expect(res.wasm).toEqual(res.cpu);
  });

  it('oneHot with float32 dtype and custom on/off values on wasm equals cpu', async () => {
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => Array.from(tf.oneHot(tf.tensor1d([2, 0, 5, -1], 'int32'), 4, 0.9, 0.1, 'float32').dataSync())),
    );
    expect(res.cpu.slice(0, 4)).toEqual([0.1, 0.1, 0.9, 0.1].map(Math.fround));
    expect(res.wasm).toEqual(res.cpu);
  });

  it('row-copy GatherV2 on wasm equals cpu on several axes, and rejects bad indices', async () => {
    const x = randn(3 * 4 * 5, 13);
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => {
        const t = tf.tensor3d(x, [3, 4, 5]);
        return [
          tf.gather(t, tf.tensor1d([2, 0, 2], 'int32'), 0),
          tf.gather(
            t,
            tf.tensor2d(
              [
                [3, 1],
                [0, 0],
              ],
              [2, 2],
              'int32',
            ),
            1,
          ),
          tf.gather(t, tf.tensor1d([4], 'int32'), -1),
        ].map((o) => ({ shape: o.shape, values: Array.from(o.dataSync()) }));
      }),
    );
    expect(res.wasm.map((o) => o.shape)).toEqual([
      [3, 4, 5],
      [3, 2, 2, 5],
      [3, 4, 1],
    ]);
    expect(res.wasm).toEqual(res.cpu);
    expect(() => tf.tidy(() => tf.gather(tf.ones([2, 2]), tf.tensor1d([2], 'int32')))).toThrow(/outside/);
  });

  it('JS transpose equals cpu for 2-D and higher-rank permutations', async () => {
    const x = randn(2 * 3 * 4 * 5, 14);
    const perms = [
      [1, 0, 2, 3],
      [0, 2, 1, 3],
      [3, 2, 1, 0],
      [0, 1, 3, 2],
      [2, 0, 3, 1],
    ];
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => [
        Array.from(tf.transpose(tf.tensor2d(x, [24, 5])).dataSync()),
        Array.from(tf.transpose(tf.tensor3d(x, [1, 40, 3]), [2, 0, 1]).dataSync()),
        ...perms.map((p) => Array.from(tf.transpose(tf.tensor4d(x, [2, 3, 4, 5]), p).dataSync())),
      ]),
    );
    expect(res.wasm).toEqual(res.cpu);
    // the JS routine itself, on every permutation (the kernel sends only 2-D cases to it)
    const out = new Float32Array(x.length);
    for (const p of perms) {
      transposeJs(x, [2, 3, 4, 5], p, out);
      const expected = tf.tidy(() => Array.from(tf.transpose(tf.tensor4d(x, [2, 3, 4, 5]), p).dataSync()));
      expect(Array.from(out)).toEqual(expected);
    }
  });

  it('Identity shares the buffer on wasm: clones survive their source and nothing leaks', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('transposed and broadcast matMul on wasm equal cpu', async () => {
    const a = randn(4 * 5 * 6, 3);
    const b = randn(6 * 7, 4);
    const bt = randn(7 * 6, 5);
    const a2 = randn(6 * 5, 6);
    const bias = randn(7, 7);
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => {
        const A = tf.tensor3d(a, [4, 5, 6]);
        const outs = [
          tf.matMul(A, tf.tensor2d(b, [6, 7])),
          tf.matMul(tf.reshape(A, [20, 6]), tf.tensor2d(bt, [7, 6]), false, true),
          tf.matMul(tf.tensor2d(a2, [6, 5]), tf.tensor2d(b, [6, 7]), true, false),
          tf.matMul(tf.tensor2d(bt, [7, 6]), tf.tensor2d(b, [6, 7]), true, true),
          tf.fused.matMul({
            a: tf.reshape(A, [20, 6]),
            b: tf.tensor2d(bt, [7, 6]),
            transposeB: true,
            bias: tf.tensor1d(bias),
            activation: 'relu',
          }),
          tf.matMul(A, tf.tensor3d(b, [1, 6, 7])),
        ];
        return outs.map((o) => ({ shape: o.shape, values: Array.from(o.dataSync()) }));
      }),
    );
    expect(res.wasm.map((o) => o.shape)).toEqual([
      [4, 5, 7],
      [20, 7],
      [5, 7],
      [6, 6],
      [20, 7],
      [4, 5, 7],
    ]);
    for (let i = 0; i < res.cpu.length; i++)
      expect(maxAbsDiff(res.wasm[i].values, res.cpu[i].values)).toBeLessThan(1e-4);
  });

  it('large equal-batch matMul (per-slice fast path) and its gradients on wasm equal cpu', async () => {
    const a = randn(2 * 3 * 40 * 48, 20);
    const b = randn(2 * 3 * 48 * 40, 21);
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => {
        const A = tf.tensor4d(a, [2, 3, 40, 48]);
        const B = tf.tensor4d(b, [2, 3, 48, 40]);
        const outs = [
          tf.matMul(A, B),
          tf.matMul(A, tf.reshape(B, [2, 3, 40, 48]), false, true),
          tf.matMul(tf.reshape(A, [2, 3, 48, 40]), B, true, false),
          ...tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([A, B]),
        ];
        return outs.map((o) => ({ shape: o.shape, values: Array.from(o.dataSync()) }));
      }),
    );
    expect(res.wasm.map((o) => o.shape)).toEqual([
      [2, 3, 40, 40],
      [2, 3, 40, 40],
      [2, 3, 40, 40],
      [2, 3, 40, 48],
      [2, 3, 48, 40],
    ]);
    for (let i = 0; i < res.cpu.length; i++) {
      const scale = Math.max(...res.cpu[i].values.map(Math.abs));
      expect(maxAbsDiff(res.wasm[i].values, res.cpu[i].values) / scale).toBeLessThan(1e-5);
    }
  });

  it('stock matMul gradients on wasm (through the fixed kernels) equal cpu', async () => {
    const a = randn(3 * 4 * 5, 8);
    const w = randn(5 * 6, 9);
    const res = await runOnBackends(['cpu', 'wasm'], () =>
      tf.tidy(() => {
        const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y)));
        const [ga, gw] = tf.grads(f)([tf.tensor3d(a, [3, 4, 5]), tf.tensor2d(w, [5, 6])]);
        return [Array.from(ga.dataSync()), Array.from(gw.dataSync()), gw.shape];
      }),
    );
    expect(res.wasm[2]).toEqual([5, 6]);
    expect(maxAbsDiff(res.wasm[0] as number[], res.cpu[0] as number[])).toBeLessThan(1e-3);
    expect(maxAbsDiff(res.wasm[1] as number[], res.cpu[1] as number[])).toBeLessThan(1e-3);
  });

  it('fastMatMul passes a central-difference gradient check and matches cpu', async () => {
    const x = randn(2 * 3 * 4, 10);
    const w = randn(4 * 5, 11);
    const res = await runOnBackends(['cpu', 'wasm'], () => {
      const xs = tf.tensor3d(x, [2, 3, 4]);
      const ws = tf.tensor2d(w, [4, 5]);
      const weights = tf.tensor3d(randn(2 * 3 * 5, 12), [2, 3, 5]);
      const check = gradientCheck((p, q) => tf.sum(tf.mul(fastMatMul(p, q as tf.Tensor2D), weights)), [xs, ws], {
        eps: 1e-2,
        rtol: 1e-2,
      });
      const grads = tf.tidy(() =>
        tf
          .grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(fastMatMul(p, q as tf.Tensor2D))))([xs, ws])
          .map((g) => Array.from(g.dataSync())),
      );
      tf.dispose([xs, ws, weights]);
      return { check, grads };
    });
    expect(res.cpu.check.ok).toBe(true);
    expect(res.wasm.check.ok).toBe(true);
    expect(res.wasm.check.checked).toBe(24 + 20);
    expect(maxAbsDiff(res.wasm.grads[0], res.cpu.grads[0])).toBeLessThan(1e-3);
    expect(maxAbsDiff(res.wasm.grads[1], res.cpu.grads[1])).toBeLessThan(1e-3);
  });
});
