import * as tf from '@tensorflow/tfjs';
import { fastMatMul } from '../kernels/fast-mat-mul';
import { glorotUniform, type RngOrSeed, zerosInit } from './initializers';
import type { ParamStore } from './param-store';

/** y = x·W + b over the last axis; W is `${name}.w` [inDim, outDim], b is `${name}.b`. */
export class Dense {
  readonly w: tf.Variable;
  readonly b?: tf.Variable;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    rng: RngOrSeed,
    /** `initScale` multiplies the Glorot draw (e.g. 0.1 for an output that should start near zero). */
    opts: { bias?: boolean; initScale?: number } = {},
  ) {
    const scale = opts.initScale ?? 1;
    this.w = store.add(
      `${name}.w`,
      tf.tidy(() =>
        scale === 1 ? glorotUniform([inDim, outDim], rng) : tf.mul(glorotUniform([inDim, outDim], rng), scale),
      ),
    );
    if (opts.bias !== false) this.b = store.add(`${name}.b`, zerosInit([outDim]));
  }

  apply(x: tf.Tensor): tf.Tensor {
    const y = fastMatMul(x, this.w as tf.Tensor2D);
    return this.b ? tf.add(y, this.b) : y;
  }
}
