import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { ParamStore } from '../layers/param-store';
import { TransformerEncoder } from '../layers/transformer-encoder';
import { assertNoLeak } from '../testing/leak-check';
import { maxAbsDiff } from '../testing/run-on-backends';
import { recomputeInBackward } from './recompute';
import { trainStepAsync } from './train-step';

describe('recomputeInBackward (activation checkpointing)', () => {
  beforeAll(async () => {
    await initTensorBackend('wasm');
  });

  it('gives the same loss and gradients as the plain encoder, dropout included', () => {
    const store = new ParamStore();
    const enc = new TransformerEncoder(
      store,
      'e',
      { numLayers: 2, dModel: 8, numHeads: 2, vocabSize: 11, maxLength: 5, dropout: 0.2 },
      3,
    );
    const ids = tf.tensor2d(
      [
        [1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10],
      ],
      [2, 5],
      'int32',
    );
    const target = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 4);
    const run = (recompute: boolean) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () =>
            tf.sum(tf.mul(enc.apply(ids, { causal: true, training: true, seed: 9, recompute }), target)) as tf.Scalar,
          store.trainable(),
        );
        return { loss: value.dataSync()[0], grads: store.trainable().map((v) => Array.from(grads[v.name].dataSync())) };
      });
    const plain = run(false);
    const recomputed = run(true);
    expect(recomputed.loss).toBeCloseTo(plain.loss, 5);
    expect(recomputed.grads).toHaveLength(plain.grads.length);
    plain.grads.forEach((g, i) => expect(maxAbsDiff(recomputed.grads[i], g)).toBeLessThan(1e-5));
    // the embedding table gets its gradient through the checkpointed blocks too
    expect(Math.max(...recomputed.grads[0].map(Math.abs))).toBeGreaterThan(0);
    tf.dispose([ids, target]);
    store.dispose();
  });

  it('works inside optimizer.minimize without leaking, and needs a seed when dropout is on', async () => {
    const store = new ParamStore();
    const enc = new TransformerEncoder(
      store,
      'e',
      { numLayers: 2, dModel: 8, numHeads: 2, vocabSize: 11, maxLength: 5, dropout: 0.1 },
      5,
    );
    const ids = tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32');
    const opt = tf.train.adam(1e-2);
    let step = 0;
    const loss = () =>
      tf.mean(tf.square(enc.apply(ids, { training: true, seed: ++step, recompute: true }))) as tf.Scalar;
    await expect(assertNoLeak(() => trainStepAsync(opt, store, loss), 3)).resolves.toBe(0);
    expect(() => tf.tidy(() => enc.apply(ids, { training: true, recompute: true }))).toThrow(InvalidInputError);
    // a bare use with an explicit parameter list
    const w = store.get('e.0.ffn.up.w');
    const g = tf.tidy(() => {
      const x = tf.ones([2, 8]);
      const f = (t: tf.Tensor) => tf.matMul(t, w);
      const viaRecompute = tf.grad((t: tf.Tensor) => tf.sum(recomputeInBackward(f, t, [w])))(x);
      const direct = tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x);
      return [Array.from(viaRecompute.dataSync()), Array.from(direct.dataSync())];
    });
    expect(maxAbsDiff(g[0], g[1])).toBeLessThan(1e-6);
    ids.dispose();
    opt.dispose();
    store.dispose();
  });
});
