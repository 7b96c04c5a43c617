import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, NotFoundError, type Rng } from '@tessera/common';
import { ParamStore } from '@tessera/tensor';

export type WeightInit = 'glorot' | 'zeros' | 'ones' | 'normal02' | 'normal1';

/**
 * An encoder's named weights inside a `ParamStore` of @tessera/tensor (names `<prefix>.<name>`), so
 * `saveCheckpoint`/`loadCheckpoint` of @tessera/tensor save and restore them. Several encoders may
 * share one store; a store passed in belongs to the caller, one created here to this object.
 */
export class EncoderWeights {
  readonly store: ParamStore;
  private readonly owned: boolean;
  private readonly names: string[] = [];

  constructor(
    private readonly prefix: string,
    store?: ParamStore,
  ) {
    this.owned = !store;
    this.store = store ?? new ParamStore();
  }

  /** Glorot-uniform matrix, zeros, ones or N(0, 0.02²), filled from the seeded generator. */
  add(name: string, shape: number[], rng: Rng, init: WeightInit = 'glorot'): tf.Variable {
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
    if (init === 'normal1') for (let k = 0; k < size; k++) values[k] = rng.normal();
    this.names.push(name);
    return this.store.add(`${this.prefix}.${name}`, tf.tensor(values, shape));
  }

  get list(): tf.Variable[] {
    return this.names.map((n) => this.store.get(`${this.prefix}.${n}`));
  }

  /** Copies of this encoder's weights as Float32Array, keyed `<prefix>.<name>` (awaited reads: any backend). */
  async export(): Promise<Record<string, { shape: number[]; values: Float32Array }>> {
    const out: Record<string, { shape: number[]; values: Float32Array }> = {};
    for (const n of this.names) {
      const v = this.store.get(`${this.prefix}.${n}`);
      out[`${this.prefix}.${n}`] = { shape: v.shape.slice(), values: (await v.data()) as Float32Array };
    }
    return out;
  }

  /** Loads weights written by `export`; every weight must be present with its shape. */
  import(weights: Record<string, { shape: number[]; values: Float32Array }>): void {
    for (const n of this.names) {
      const key = `${this.prefix}.${n}`;
      const v = this.store.get(key);
      const w = weights[key];
      if (!w) throw new NotFoundError(`checkpoint has no weight ${key}`);
      if (w.shape.length !== v.shape.length || w.shape.some((s, k) => s !== v.shape[k])) {
        throw new DimensionMismatchError(`weight ${key} has shape [${w.shape}], model expects [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.values, v.shape)));
    }
  }

  /** Frees the store if this object created it (a shared store is freed by its owner). */
  dispose(): void {
    if (this.owned) this.store.dispose();
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
