import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import type { ParamStore } from '@tessera/tensor';
import { EncoderWeights, l2Normalize } from './encoder-weights';

export interface TextEncoderConfig {
  /** Token ids are 0..vocabSize−1; 0 is padding. */
  vocabSize: number;
  /** Tokens per caption (callers pad or truncate). */
  maxWords: number;
  wordDim: number;
  hidden: number;
  jointDim: number;
  /** The official code max-pools over padding positions too; true excludes them. */
  maskPaddingInMaxPool: boolean;
  seed: number;
}

export const DEFAULT_TEXT_ENCODER_CONFIG: Readonly<TextEncoderConfig> = Object.freeze({
  vocabSize: 4096,
  maxWords: 20,
  wordDim: 64,
  hidden: 256,
  jointDim: 64,
  maskPaddingInMaxPool: false,
  seed: 2,
});

/**
 * Sentence encoder with the official shape, scaled down (spec sections 2 and 12): word embeddings →
 * linear → ReLU → max over word positions → standardise (our addition) → linear to the joint space →
 * L2 normalisation. Embedding
 * lookup is matMul(oneHot(ids), E), whose gradient exists on every backend (gather's does not on wasm).
 */
export class VttwinsTextEncoder {
  readonly config: TextEncoderConfig;
  readonly weights: EncoderWeights;
  private readonly w: Record<string, tf.Variable> = {};

  /** `store`: a shared @tessera/tensor ParamStore for checkpoints; one of its own when omitted. */
  constructor(config: Partial<TextEncoderConfig> = {}, store?: ParamStore) {
    this.weights = new EncoderWeights('text', store);
    const c = { ...DEFAULT_TEXT_ENCODER_CONFIG, ...config };
    for (const key of ['vocabSize', 'maxWords', 'wordDim', 'hidden', 'jointDim'] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1)
        throw new InvalidInputError(`text encoder ${key} must be a positive integer, got ${c[key]}`);
    }
    this.config = c;
    const rng = new Rng(c.seed);
    // Unit-scale word vectors (word2vec-like magnitudes) keep captions apart at init.
    this.w.embed = this.weights.add('embed', [c.vocabSize, c.wordDim], rng, 'normal1');
    // Padding (id 0) starts as the zero vector, like the official frozen word2vec table.
    tf.tidy(() =>
      this.w.embed.assign(tf.mul(this.w.embed, tf.concat([tf.zeros([1, 1]), tf.ones([c.vocabSize - 1, 1])], 0))),
    );
    this.w.fc1 = this.weights.add('fc1', [c.wordDim, c.hidden], rng);
    this.w.fc1b = this.weights.add('fc1b', [c.hidden], rng, 'zeros');
    this.w.fc2 = this.weights.add('fc2', [c.hidden, c.jointDim], rng);
  }

  get variables(): tf.Variable[] {
    return this.weights.list;
  }

  /** (N, jointDim) unit-norm caption embeddings from N×maxWords token ids. */
  encode(tokens: Int32Array, captions: number): tf.Tensor2D {
    const c = this.config;
    if (tokens.length !== captions * c.maxWords) {
      throw new DimensionMismatchError(`expected ${captions} captions × ${c.maxWords} tokens, got ${tokens.length}`);
    }
    for (let k = 0; k < tokens.length; k++) {
      if (tokens[k] < 0 || tokens[k] >= c.vocabSize)
        throw new InvalidInputError(`token id ${tokens[k]} outside 0..${c.vocabSize - 1}`);
    }
    const w = this.w;
    return tf.tidy(() => {
      const ids = tf.tensor1d(tokens, 'int32');
      const words = tf.matMul(tf.oneHot(ids, c.vocabSize).toFloat(), w.embed);
      let h = tf.reshape(tf.relu(tf.add(tf.matMul(words, w.fc1), w.fc1b)), [captions, c.maxWords, c.hidden]);
      if (c.maskPaddingInMaxPool) {
        // Padding positions get a large negative value; ReLU outputs are ≥ 0 so a real word always wins.
        const pad = tf.reshape(tf.cast(tf.equal(ids, 0), 'float32'), [captions, c.maxWords, 1]);
        h = tf.sub(h, tf.mul(pad, 1e4));
      }
      // Standardising the pooled (all non-negative) features removes their shared offset, which
      // otherwise makes every caption nearly the same direction at init (not in the official model).
      const pooled = tf.max(h, 1);
      const { mean, variance } = tf.moments(pooled, -1, true);
      const standardised = tf.div(tf.sub(pooled, mean), tf.sqrt(tf.add(variance, 1e-5)));
      return l2Normalize(tf.matMul(standardised, w.fc2)) as tf.Tensor2D;
    });
  }

  /** Embeddings as a plain row-major Float32Array (N × jointDim); no tensor escapes. */
  async embed(tokens: Int32Array, captions: number): Promise<Float32Array> {
    const t = this.encode(tokens, captions);
    try {
      return (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  }

  dispose(): void {
    this.weights.dispose();
  }
}
