import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import { Dense } from './dense';
import { dropoutSeed, type ForwardOptions, saltOf } from './forward-options';
import type { RngOrSeed } from './initializers';
import type { ParamStore } from './param-store';

export interface MultiHeadAttentionConfig {
  dModel: number;
  numHeads: number;
  /** Width of the key/value input when it differs from dModel (cross-attention). */
  kvDim?: number;
  /** Dropout on the attention weights while training. */
  attentionDropout?: number;
}

export interface AttentionCallOptions extends ForwardOptions {
  /** Additive bias broadcastable to [B, H, Tq, Tk] (see attentionBias). */
  bias?: tf.Tensor;
}

/**
 * Scaled dot-product attention over `numHeads` heads, with projections `${name}.q|k|v|o`.
 * tf.layers has no multi-head attention; this is the functional form the encoders and LMs use.
 */
export class MultiHeadAttention {
  readonly q: Dense;
  readonly k: Dense;
  readonly v: Dense;
  readonly o: Dense;
  readonly headDim: number;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly config: MultiHeadAttentionConfig,
    rng: RngOrSeed,
  ) {
    const { dModel, numHeads } = config;
    if (!Number.isInteger(numHeads) || numHeads < 1 || dModel % numHeads !== 0) {
      throw new InvalidInputError(`dModel ${dModel} is not divisible by numHeads ${numHeads}`, { dModel, numHeads });
    }
    this.headDim = dModel / numHeads;
    const r = typeof rng === 'number' ? new Rng(rng) : rng;
    const kvDim = config.kvDim ?? dModel;
    this.q = new Dense(store, `${name}.q`, dModel, dModel, r);
    this.k = new Dense(store, `${name}.k`, kvDim, dModel, r);
    this.v = new Dense(store, `${name}.v`, kvDim, dModel, r);
    this.o = new Dense(store, `${name}.o`, dModel, dModel, r);
  }

  /** query [B, Tq, dModel], keyValue [B, Tk, kvDim] -> [B, Tq, dModel]. */
  apply(query: tf.Tensor3D, keyValue: tf.Tensor3D, opts: AttentionCallOptions = {}): tf.Tensor3D {
    const { numHeads, dModel } = this.config;
    const [b, tq, dq] = query.shape;
    const [bk, tk, dk] = keyValue.shape;
    if (dq !== dModel || dk !== (this.config.kvDim ?? dModel) || b !== bk) {
      throw new DimensionMismatchError(
        `attention '${this.name}': query [${query.shape}] / keyValue [${keyValue.shape}] do not fit`,
        {
          query: query.shape,
          keyValue: keyValue.shape,
          dModel,
        },
      );
    }
    const h = numHeads;
    const dh = this.headDim;
    return tf.tidy(() => {
      // [B, T, H, dh] -> [B, H, T, dh]; keys go straight to [B, H, dh, Tk] so the score
      // product needs no transpose flag.
      const qh = tf.transpose(tf.reshape(this.q.apply(query), [b, tq, h, dh]), [0, 2, 1, 3]);
      const khT = tf.transpose(tf.reshape(this.k.apply(keyValue), [b, tk, h, dh]), [0, 2, 3, 1]);
      const vh = tf.transpose(tf.reshape(this.v.apply(keyValue), [b, tk, h, dh]), [0, 2, 1, 3]);
      // scale q rather than the [B, H, Tq, Tk] scores: fewer elements once T > dh
      let scores = tf.matMul(tf.mul(qh, 1 / Math.sqrt(dh)), khT);
      if (opts.bias) scores = tf.add(scores, opts.bias);
      let weights = tf.softmax(scores, -1);
      const rate = this.config.attentionDropout ?? 0;
      if (opts.training && rate > 0)
        weights = tf.dropout(weights, rate, undefined, dropoutSeed(opts.seed, saltOf(this.name)));
      const context = tf.reshape(tf.transpose(tf.matMul(weights, vh), [0, 2, 1, 3]), [b, tq, dModel]);
      return this.o.apply(context) as tf.Tensor3D;
    });
  }
}
