import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { clipByGlobalNormAsync } from './clip-gradients';

describe('clipByGlobalNormAsync', () => {
  it('scales a (3, 4) gradient of norm 5 to norm 1', async () => {
    const r = await clipByGlobalNormAsync({ a: tf.tensor1d([3]), b: tf.tensor1d([4]) }, 1);
    expect(r.norm).toBeCloseTo(5, 6);
    expect(Array.from(await r.grads.a.data())[0]).toBeCloseTo(0.6, 6);
    expect(Array.from(await r.grads.b.data())[0]).toBeCloseTo(0.8, 6);
    tf.dispose(Object.values(r.grads));
  });

  it('leaves gradients under the limit untouched', async () => {
    const g = { a: tf.tensor1d([0.3, 0.4]) };
    const r = await clipByGlobalNormAsync(g, 1);
    expect(r.grads.a).toBe(g.a);
    expect(r.norm).toBeCloseTo(0.5, 6);
    g.a.dispose();
  });
});
