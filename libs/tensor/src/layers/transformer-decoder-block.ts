import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { FeedForward } from './feed-forward';
import { dropoutSeed, type ForwardOptions, saltOf } from './forward-options';
import type { RngOrSeed } from './initializers';
import { LayerNorm } from './layer-norm';
import { MultiHeadAttention } from './multi-head-attention';
import type { ParamStore } from './param-store';
import type { TransformerBlockConfig } from './transformer-encoder-block';

export interface DecoderBlockConfig extends TransformerBlockConfig {
  /** Width of the encoder output attended to; default dModel. */
  memoryDim?: number;
}

export interface DecoderCallOptions extends ForwardOptions {
  /** Bias for self-attention: normally causal plus target padding. */
  selfBias?: tf.Tensor;
  /** Bias for cross-attention: padding of the encoder output, [B, 1, 1, Tm]. */
  memoryBias?: tf.Tensor;
}

/**
 * Pre-norm encoder-decoder block: causal self-attention, cross-attention over the encoder
 * output (`memory`), feed-forward; each a residual branch with dropout.
 */
export class TransformerDecoderBlock {
  readonly ln1: LayerNorm;
  readonly selfAttention: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly crossAttention: MultiHeadAttention;
  readonly ln3: LayerNorm;
  readonly ffn: FeedForward;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly config: DecoderBlockConfig,
    rng: RngOrSeed,
  ) {
    const r = typeof rng === 'number' ? new Rng(rng) : rng;
    const { dModel, numHeads } = config;
    const eps = config.layerNormEpsilon ?? 1e-5;
    const attentionDropout = config.dropout ?? 0;
    this.ln1 = new LayerNorm(store, `${name}.ln1`, dModel, eps);
    this.selfAttention = new MultiHeadAttention(store, `${name}.self`, { dModel, numHeads, attentionDropout }, r);
    this.ln2 = new LayerNorm(store, `${name}.ln2`, dModel, eps);
    this.crossAttention = new MultiHeadAttention(
      store,
      `${name}.cross`,
      { dModel, numHeads, kvDim: config.memoryDim ?? dModel, attentionDropout },
      r,
    );
    this.ln3 = new LayerNorm(store, `${name}.ln3`, dModel, eps);
    this.ffn = new FeedForward(store, `${name}.ffn`, dModel, config.dFF ?? 4 * dModel, r);
  }

  /** x [B, T, dModel], memory [B, Tm, memoryDim] -> [B, T, dModel]. */
  apply(x: tf.Tensor3D, memory: tf.Tensor3D, opts: DecoderCallOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const rate = opts.training ? (this.config.dropout ?? 0) : 0;
      const salt = saltOf(this.name);
      const drop = (t: tf.Tensor, site: number): tf.Tensor =>
        rate > 0 ? tf.dropout(t, rate, undefined, dropoutSeed(opts.seed, salt + site)) : t;
      const base = { training: opts.training };
      const n1 = this.ln1.apply(x) as tf.Tensor3D;
      const s = this.selfAttention.apply(n1, n1, {
        ...base,
        bias: opts.selfBias,
        seed: dropoutSeed(opts.seed, salt + 11),
      });
      const h1 = tf.add(x, drop(s, 1)) as tf.Tensor3D;
      const n2 = this.ln2.apply(h1) as tf.Tensor3D;
      const c = this.crossAttention.apply(n2, memory, {
        ...base,
        bias: opts.memoryBias,
        seed: dropoutSeed(opts.seed, salt + 13),
      });
      const h2 = tf.add(h1, drop(c, 2));
      const f = this.ffn.apply(this.ln3.apply(h2));
      return tf.add(h2, drop(f, 3)) as tf.Tensor3D;
    });
  }
}
