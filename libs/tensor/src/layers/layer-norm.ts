import * as tf from '@tensorflow/tfjs';
import { onesInit, zerosInit } from './initializers';
import type { ParamStore } from './param-store';

/** Layer normalisation over the last axis with learned scale `${name}.gamma` and shift `${name}.beta`. */
export class LayerNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly dim: number,
    readonly epsilon = 1e-5,
  ) {
    this.gamma = store.add(`${name}.gamma`, onesInit([dim]));
    this.beta = store.add(`${name}.beta`, zerosInit([dim]));
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const centred = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centred), -1, true);
      const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma), this.beta);
    });
  }
}
