import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { recomputeInBackward } from '../training/recompute';
import { attentionBias } from './attention-masks';
import type { ForwardOptions } from './forward-options';
import type { RngOrSeed } from './initializers';
import { LayerNorm } from './layer-norm';
import type { ParamStore } from './param-store';
import { type EmbeddingConfig, TokenPositionEmbedding } from './token-position-embedding';
import { type TransformerBlockConfig, TransformerEncoderBlock } from './transformer-encoder-block';

export interface TransformerEncoderConfig extends TransformerBlockConfig {
  numLayers: number;
  vocabSize: number;
  maxLength: number;
  lookup?: EmbeddingConfig['lookup'];
}

export interface TransformerEncoderCallOptions extends ForwardOptions {
  /** [B, T], 1 for real tokens and 0 for padding. */
  keyMask?: tf.Tensor2D;
  /** Decoder-only (GPT-style) when true. */
  causal?: boolean;
  /**
   * Recompute each block's activations in the backward pass instead of keeping them
   * (activation checkpointing): less memory, about one extra forward. Dropout then needs `seed`.
   */
  recompute?: boolean;
}

/**
 * Token+position embeddings, `numLayers` pre-norm blocks and a final LayerNorm:
 * ids [B, T] -> hidden states [B, T, dModel]. Parameters live under `${name}.*`.
 */
export class TransformerEncoder {
  readonly embedding: TokenPositionEmbedding;
  readonly blocks: TransformerEncoderBlock[];
  readonly finalNorm: LayerNorm;

  constructor(
    private readonly store: ParamStore,
    readonly name: string,
    readonly config: TransformerEncoderConfig,
    rng: RngOrSeed,
  ) {
    const r = typeof rng === 'number' ? new Rng(rng) : rng;
    this.embedding = new TokenPositionEmbedding(
      store,
      `${name}.emb`,
      { vocabSize: config.vocabSize, maxLength: config.maxLength, dModel: config.dModel, lookup: config.lookup },
      r,
    );
    this.blocks = Array.from(
      { length: config.numLayers },
      (_, i) => new TransformerEncoderBlock(store, `${name}.${i}`, config, r),
    );
    this.finalNorm = new LayerNorm(store, `${name}.ln`, config.dModel, config.layerNormEpsilon ?? 1e-5);
  }

  private blockParams(block: TransformerEncoderBlock): tf.Variable[] {
    return this.store
      .entries()
      .filter(([name, v]) => name.startsWith(`${block.name}.`) && v.trainable)
      .map(([, v]) => v);
  }

  apply(ids: tf.Tensor2D, opts: TransformerEncoderCallOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const t = ids.shape[1];
      const bias = attentionBias({ keyMask: opts.keyMask, causalLength: opts.causal ? t : undefined });
      let h = this.embedding.apply(ids);
      const rate = opts.training ? (this.config.dropout ?? 0) : 0;
      if (opts.recompute && rate > 0 && opts.seed === undefined) {
        throw new InvalidInputError('recompute with dropout needs a seed, or the recomputed masks would differ', {});
      }
      for (const block of this.blocks) {
        const run = (x: tf.Tensor, b?: tf.Tensor) =>
          block.apply(x as tf.Tensor3D, { training: opts.training, seed: opts.seed, bias: b });
        h = (
          opts.recompute ? recomputeInBackward(run, h, this.blockParams(block), bias ? [bias] : []) : run(h, bias)
        ) as tf.Tensor3D;
      }
      return this.finalNorm.apply(h) as tf.Tensor3D;
    });
  }
}
