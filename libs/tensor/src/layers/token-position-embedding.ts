import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { normalInit, type RngOrSeed } from './initializers';
import type { ParamStore } from './param-store';

export interface EmbeddingConfig {
  vocabSize: number;
  maxLength: number;
  dModel: number;
  /**
   * 'gather' (default) looks rows up; its gradient needs UnsortedSegmentSum, which the
   * runtime registers for wasm. 'onehot' multiplies oneHot(ids)·E, a plain matmul, useful
   * for small vocabularies or backends without the fix.
   */
  lookup?: 'gather' | 'onehot';
}

/** Learned token embeddings `${name}.tok` [V, d] plus learned positions `${name}.pos` [maxLength, d]. */
export class TokenPositionEmbedding {
  readonly tokens: tf.Variable;
  readonly positions: tf.Variable;

  constructor(
    store: ParamStore,
    readonly name: string,
    readonly config: EmbeddingConfig,
    rng: RngOrSeed,
  ) {
    const r = typeof rng === 'number' ? new Rng(rng) : rng;
    this.tokens = store.add(`${name}.tok`, normalInit([config.vocabSize, config.dModel], r));
    this.positions = store.add(`${name}.pos`, normalInit([config.maxLength, config.dModel], r));
  }

  /** ids int32 [B, T] -> [B, T, dModel]. */
  apply(ids: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = ids.shape;
    const { dModel, maxLength, vocabSize } = this.config;
    if (t > maxLength) {
      throw new InvalidInputError(`sequence of ${t} tokens exceeds maxLength ${maxLength}`, { length: t, maxLength });
    }
    return tf.tidy(() => {
      const flat = tf.reshape(tf.cast(ids, 'int32'), [b * t]) as tf.Tensor1D;
      const tok =
        this.config.lookup === 'onehot'
          ? tf.matMul(tf.oneHot(flat, vocabSize, 1, 0, 'float32'), this.tokens as tf.Tensor2D)
          : tf.gather(this.tokens, flat);
      const pos = tf.slice(this.positions, [0, 0], [t, dModel]);
      return tf.add(tf.reshape(tok, [b, t, dModel]), pos) as tf.Tensor3D;
    });
  }
}
