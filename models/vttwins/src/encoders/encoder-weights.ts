import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, NotFoundError, type Rng } from '@tessera/common';

/** A named, trainable weight store shared by the encoders (checkpoints read and write it by name). */
export class EncoderWeights {
  private readonly vars = new Map<string, tf.Variable>();

  constructor(private readonly prefix: string) {}

  /** Glorot-uniform matrix (or zeros / a constant for vectors), filled from the seeded generator. */
  add(name: string, shape: number[], rng: Rng, init: 'glorot' | 'zeros' | 'ones' | 'normal02' = 'glorot'): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init === 'ones') values.fill(1);
    if (init === 'glorot') {
      const fanIn = shape.length > 1 ? shape[shape.length - 2] : shape[0];
      const fanOut = shape[shape.length - 1];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let k = 0; k < size; k++) values[k] = (rng.next() * 2 - 1) * limit;
    }
    if (init === 'normal02') for (let k = 0; k < size; k++) values[k] = rng.normal() * 0.02;
    // TF.js variable names are process-wide, so the name lives only in this store.
    const init0 = tf.tensor(values, shape);
    const v = tf.variable(init0, true);
    init0.dispose();
    this.vars.set(name, v);
    return v;
  }

  get list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Copies of every weight as Float32Array, keyed `<prefix>/<name>`. */
  export(): Record<string, { shape: number[]; values: Float32Array }> {
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const [name, v] of this.vars)
      out[`${this.prefix}/${name}`] = { shape: v.shape.slice(), values: v.dataSync() as Float32Array };
    return out;
  }

  /** Loads weights written by `export`; every weight must be present with its shape. */
  import(weights: Record<string, { shape: number[]; values: Float32Array }>): void {
    for (const [name, v] of this.vars) {
      const key = `${this.prefix}/${name}`;
      const w = weights[key];
      if (!w) throw new NotFoundError(`checkpoint has no weight ${key}`);
      if (w.shape.length !== v.shape.length || w.shape.some((s, k) => s !== v.shape[k])) {
        throw new DimensionMismatchError(`weight ${key} has shape [${w.shape}], model expects [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.values, v.shape)));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/** Row-wise L2 normalisation with a small floor. */
export function l2Normalize(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-12))));
}

/** Layer normalisation over the last axis with learned gain and bias. */
export function layerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gain), bias);
  });
}
