import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { FeedForward } from './feed-forward';
import { dropoutSeed, type ForwardOptions, saltOf } from './forward-options';
import type { RngOrSeed } from './initializers';
import { LayerNorm } from './layer-norm';
import { MultiHeadAttention } from './multi-head-attention';
import type { ParamStore } from './param-store';

export interface TransformerBlockConfig {
  dModel: number;
  numHeads: number;
  /** Hidden width of the feed-forward part; default 4·dModel. */
  dFF?: number;
  /** Dropout on each residual branch and on attention weights while training; default 0. */
  dropout?: number;
  layerNormEpsilon?: number;
}

export interface EncoderCallOptions extends ForwardOptions {
  /** Additive attention bias (padding and/or causal), see attentionBias(). */
  bias?: tf.Tensor;
}

/**
 * Pre-norm transformer block: x + Drop(MHA(LN(x))), then + Drop(FFN(LN(·))).
 * With a causal bias it is a decoder-only (GPT-style) block.
 */
export class TransformerEncoderBlock {
  readonly ln1: LayerNorm;
  readonly attention: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly ffn: FeedForward;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly config: TransformerBlockConfig,
    rng: RngOrSeed,
  ) {
    const r = typeof rng === 'number' ? new Rng(rng) : rng;
    const { dModel, numHeads } = config;
    const eps = config.layerNormEpsilon ?? 1e-5;
    this.ln1 = new LayerNorm(store, `${name}.ln1`, dModel, eps);
    this.attention = new MultiHeadAttention(
      store,
      `${name}.attn`,
      { dModel, numHeads, attentionDropout: config.dropout ?? 0 },
      r,
    );
    this.ln2 = new LayerNorm(store, `${name}.ln2`, dModel, eps);
    this.ffn = new FeedForward(store, `${name}.ffn`, dModel, config.dFF ?? 4 * dModel, r);
  }

  /** x [B, T, dModel] -> [B, T, dModel]. */
  apply(x: tf.Tensor3D, opts: EncoderCallOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const rate = opts.training ? (this.config.dropout ?? 0) : 0;
      const salt = saltOf(this.name);
      const drop = (t: tf.Tensor, site: number): tf.Tensor =>
        rate > 0 ? tf.dropout(t, rate, undefined, dropoutSeed(opts.seed, salt + site)) : t;
      const n1 = this.ln1.apply(x) as tf.Tensor3D;
      const attnSeed = dropoutSeed(opts.seed, salt + 7);
      const a = this.attention.apply(n1, n1, { ...opts, seed: attnSeed });
      const h = tf.add(x, drop(a, 1));
      const f = this.ffn.apply(this.ln2.apply(h));
      return tf.add(h, drop(f, 2)) as tf.Tensor3D;
    });
  }
}
