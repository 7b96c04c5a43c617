import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';

export type RngOrSeed = Rng | number;

const toRng = (r: RngOrSeed): Rng => (typeof r === 'number' ? new Rng(r) : r);

/** fan-in and fan-out as Keras computes them (receptive field folded in for rank > 2). */
function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((p, d) => p * d, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fanIn + fanOut)); same seed, same values. */
export function glorotUniform(shape: number[], rng: RngOrSeed): tf.Tensor {
  const r = toRng(rng);
  const [fanIn, fanOut] = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (2 * r.next() - 1) * limit;
  return tf.tensor(values, shape, 'float32');
}

/** N(0, std²) from the seeded generator (embedding tables use std 0.02). */
export function normalInit(shape: number[], rng: RngOrSeed, std = 0.02): tf.Tensor {
  const r = toRng(rng);
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = r.normal() * std;
  return tf.tensor(values, shape, 'float32');
}

export function zerosInit(shape: number[]): tf.Tensor {
  return tf.zeros(shape);
}

export function onesInit(shape: number[]): tf.Tensor {
  return tf.ones(shape);
}
