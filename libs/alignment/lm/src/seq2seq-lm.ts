import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import {
  LayerNorm,
  TokenPositionEmbedding,
  TransformerDecoderBlock,
  TransformerEncoderBlock,
  paddingBias,
} from '@tessera/tensor';
import { IGNORE_INDEX, sequenceLogProb, tokenLogProbs } from '@tessera/alignment/preference';
import { decodeTokens, type GenerateOptions, type GenerateResult } from './generate-text';
import type { LmTokenizer } from './lm-tokenizer';
import { ParamStoreLm } from './param-store-lm';
import { parseSeq2SeqLmConfig, type Seq2SeqLmConfig, type Seq2SeqLmConfigInput } from './seq2seq-lm.config';

/**
 * A right-padded source/target batch. Sources are ids + EOS with a mask (1 real, 0 padding); the decoder
 * reads BOS + target and is scored (unshifted) against target + EOS, −100 on padding.
 */
export interface Seq2SeqBatch {
  sourceIds: tf.Tensor2D;
  sourceMask: tf.Tensor2D;
  decoderIds: tf.Tensor2D;
  labels: tf.Tensor2D;
}

export interface Seq2SeqLogProbs {
  /** Per row: log p(token | source, earlier target tokens) for each target token, then EOS. */
  tokens: Float32Array[];
  /** Per row: the sum of `tokens`, log p(target + EOS | source). */
  sums: Float32Array;
}

/**
 * A small encoder–decoder transformer from the `@tessera/tensor` blocks: one token + position embedding shared
 * by source and target (and tied to the output projection), pre-norm encoder blocks over the source with a
 * padding bias, pre-norm decoder blocks with causal self-attention and cross-attention to the encoder output.
 * Target padding needs no mask (causal, right-padded); source padding is masked out of both attentions.
 */
export class Seq2SeqLm extends ParamStoreLm<Seq2SeqLmConfig> {
  private readonly embedding: TokenPositionEmbedding;
  private readonly encoderBlocks: TransformerEncoderBlock[] = [];
  private readonly encoderNorm: LayerNorm;
  private readonly decoderBlocks: TransformerDecoderBlock[] = [];
  private readonly decoderNorm: LayerNorm;

  constructor(configInput: Seq2SeqLmConfigInput, tokenizer: LmTokenizer, options: { trainable?: boolean } = {}) {
    super(parseSeq2SeqLmConfig(configInput), tokenizer, options);
    const { vocabSize, maxSourceLength, maxTargetLength, dModel, dFf, nHeads, seed } = this.config;
    const rng = new Rng(seed);
    this.embedding = new TokenPositionEmbedding(
      this.store,
      'emb',
      { vocabSize, maxLength: Math.max(maxSourceLength, maxTargetLength), dModel, lookup: 'onehot' },
      rng,
    );
    const block = { dModel, numHeads: nHeads, dFF: dFf, dropout: 0 };
    for (let l = 0; l < this.config.nEncoderLayers; l++) {
      this.encoderBlocks.push(new TransformerEncoderBlock(this.store, `enc${l}`, block, rng));
    }
    this.encoderNorm = new LayerNorm(this.store, 'enc_ln', dModel);
    for (let l = 0; l < this.config.nDecoderLayers; l++) {
      this.decoderBlocks.push(new TransformerDecoderBlock(this.store, `dec${l}`, block, rng));
    }
    this.decoderNorm = new LayerNorm(this.store, 'dec_ln', dModel);
  }

  frozenCopy(): Seq2SeqLm {
    const copy = new Seq2SeqLm(this.config, this.tokenizer, { trainable: false });
    copy.copyWeightsFrom(this);
    return copy;
  }

  /** Encoder output [B, S, d] for source ids [B, S] and mask [B, S] (1 real, 0 padding). */
  encode(sourceIds: tf.Tensor2D, sourceMask: tf.Tensor2D): tf.Tensor3D {
    const s = sourceIds.shape[1];
    if (s > this.config.maxSourceLength) {
      throw new InvalidInputError(`source length ${s} exceeds maxSourceLength ${this.config.maxSourceLength}`);
    }
    if (sourceMask.shape.join() !== sourceIds.shape.join()) {
      throw new DimensionMismatchError(`source mask ${sourceMask.shape.join('x')} != ids ${sourceIds.shape.join('x')}`);
    }
    return tf.tidy(() => {
      const bias = paddingBias(sourceMask);
      let x = this.embedding.apply(sourceIds);
      for (const block of this.encoderBlocks) x = block.apply(x, { bias });
      return this.encoderNorm.apply(x) as tf.Tensor3D;
    });
  }

  /** Decoder logits [B, T, V] for decoder ids [B, T] over an encoder output and its source mask. */
  decode(memory: tf.Tensor3D, sourceMask: tf.Tensor2D, decoderIds: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = decoderIds.shape;
    const { vocabSize: v, dModel: d, maxTargetLength } = this.config;
    if (t > maxTargetLength)
      throw new InvalidInputError(`target length ${t} exceeds maxTargetLength ${maxTargetLength}`);
    if (memory.shape[0] !== b)
      throw new DimensionMismatchError(`memory batch ${memory.shape[0]} != decoder batch ${b}`);
    return tf.tidy(() => {
      const selfBias = this.causalSelfBias(t, maxTargetLength);
      const memoryBias = paddingBias(sourceMask);
      let x = this.embedding.apply(decoderIds);
      for (const block of this.decoderBlocks) x = block.apply(x, memory, { selfBias, memoryBias });
      const h = tf.reshape(this.decoderNorm.apply(x), [b * t, d]) as tf.Tensor2D;
      return tf.reshape(tf.matMul(h, this.embedding.tokens as tf.Tensor2D, false, true), [b, t, v]) as tf.Tensor3D;
    });
  }

  /** Logits [B, T, V]: position j predicts the target token after decoder input j (labels unshifted). */
  logits(sourceIds: tf.Tensor2D, sourceMask: tf.Tensor2D, decoderIds: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.decode(this.encode(sourceIds, sourceMask), sourceMask, decoderIds));
  }

  /** Mean token cross-entropy of a batch (a scalar to minimise; training uses it inside `variableGrads`). */
  loss(batch: Seq2SeqBatch): tf.Scalar {
    return tf.tidy(() => {
      const lp = tokenLogProbs(this.logits(batch.sourceIds, batch.sourceMask, batch.decoderIds), batch.labels, false);
      const count = tf.sum(tf.cast(tf.notEqual(batch.labels, IGNORE_INDEX), 'float32'));
      return tf.neg(tf.div(tf.sum(lp), tf.maximum(count, 1))) as tf.Scalar;
    });
  }

  /** Summed log p(target + EOS | source) per row [B], differentiable (for preference losses). */
  sequenceLogProbs(batch: Seq2SeqBatch): tf.Tensor1D {
    return tf.tidy(() =>
      sequenceLogProb(this.logits(batch.sourceIds, batch.sourceMask, batch.decoderIds), batch.labels, {
        shift: false,
      }),
    );
  }

  /**
   * Packs id rows into a padded batch. A source keeps its last `maxSourceLength − 1` ids (+ EOS); a target keeps
   * at most `maxTargetLength − 1` ids (+ EOS), so BOS + target fits the decoder.
   */
  encodeIdBatch(sources: readonly (readonly number[])[], targets: readonly (readonly number[])[]): Seq2SeqBatch {
    if (sources.length === 0) throw new InvalidInputError('cannot encode an empty batch');
    if (sources.length !== targets.length) {
      throw new DimensionMismatchError(`${sources.length} sources for ${targets.length} targets`);
    }
    const { padId, bosId, eosId } = this.tokenizer;
    const { maxSourceLength, maxTargetLength } = this.config;
    const src = sources.map((s) => [...s.slice(Math.max(0, s.length - (maxSourceLength - 1))), eosId]);
    const tgt = targets.map((t) => t.slice(0, maxTargetLength - 1));
    const b = sources.length;
    const s = Math.max(...src.map((r) => r.length));
    const t = Math.max(...tgt.map((r) => r.length)) + 1;
    const sourceIds = new Int32Array(b * s).fill(padId);
    const sourceMask = new Int32Array(b * s);
    const decoderIds = new Int32Array(b * t).fill(padId);
    const labels = new Int32Array(b * t).fill(IGNORE_INDEX);
    src.forEach((row, i) =>
      row.forEach((id, j) => {
        sourceIds[i * s + j] = id;
        sourceMask[i * s + j] = 1;
      }),
    );
    tgt.forEach((row, i) => {
      [bosId, ...row].forEach((id, j) => (decoderIds[i * t + j] = id));
      [...row, eosId].forEach((id, j) => (labels[i * t + j] = id));
    });
    return {
      sourceIds: tf.tensor2d(sourceIds, [b, s], 'int32'),
      sourceMask: tf.tensor2d(sourceMask, [b, s], 'int32'),
      decoderIds: tf.tensor2d(decoderIds, [b, t], 'int32'),
      labels: tf.tensor2d(labels, [b, t], 'int32'),
    };
  }

  async encodeBatch(sources: readonly string[], targets: readonly string[]): Promise<Seq2SeqBatch> {
    const [s, t] = await Promise.all([this.tokenizer.encodeBatch(sources), this.tokenizer.encodeBatch(targets)]);
    return this.encodeIdBatch(s, t);
  }

  /**
   * Exact per-token log-probabilities of each target (then EOS) given its source, batched over right-padded
   * rows (padding changes nothing), plus their sums. Reads results with `await data()`.
   */
  async logProbs(sources: readonly string[], targets: readonly string[], batchSize = 16): Promise<Seq2SeqLogProbs> {
    if (sources.length !== targets.length) {
      throw new DimensionMismatchError(`${sources.length} sources for ${targets.length} targets`);
    }
    const [s, t] = await Promise.all([this.tokenizer.encodeBatch(sources), this.tokenizer.encodeBatch(targets)]);
    return this.logProbsOfIds(s, t, batchSize);
  }

  async logProbsOfIds(
    sources: readonly (readonly number[])[],
    targets: readonly (readonly number[])[],
    batchSize = 16,
  ): Promise<Seq2SeqLogProbs> {
    const tokens: Float32Array[] = [];
    const sums = new Float32Array(sources.length);
    for (let i = 0; i < sources.length; i += batchSize) {
      const batch = this.encodeIdBatch(sources.slice(i, i + batchSize), targets.slice(i, i + batchSize));
      const lp = tf.tidy(() =>
        tokenLogProbs(this.logits(batch.sourceIds, batch.sourceMask, batch.decoderIds), batch.labels, false),
      );
      const [values, labels] = await Promise.all([lp.data() as Promise<Float32Array>, batch.labels.data()]);
      const t = batch.labels.shape[1];
      for (let r = 0; r < batch.labels.shape[0]; r++) {
        let n = 0;
        while (n < t && labels[r * t + n] !== IGNORE_INDEX) n++;
        const row = values.slice(r * t, r * t + n);
        tokens.push(row);
        sums[i + r] = row.reduce((a, x) => a + x, 0);
      }
      tf.dispose([lp, batch.sourceIds, batch.sourceMask, batch.decoderIds, batch.labels]);
    }
    return { tokens, sums };
  }

  /**
   * Generates a target for `source`: the source is encoded once, then the decoder runs token by token (no
   * key/value cache) with the sampling shared with `generateText` (greedy, temperature, top-k, top-p, stop
   * strings, EOS). `maxTokens` is capped so BOS + output fits `maxTargetLength`.
   */
  async generate(source: string, options: GenerateOptions = {}): Promise<GenerateResult> {
    const [ids] = await this.tokenizer.encodeBatch([source]);
    return this.generateFromIds(ids, options);
  }

  async generateFromIds(sourceIds: readonly number[], options: GenerateOptions = {}): Promise<GenerateResult> {
    const cap = this.config.maxTargetLength - 1;
    const maxTokens = Math.min(options.maxTokens ?? 64, cap);
    const batch = this.encodeIdBatch([sourceIds], [[]]);
    const memory = tf.tidy(() => this.encode(batch.sourceIds, batch.sourceMask));
    try {
      return await decodeTokens(
        async (generated) => {
          const ids = [this.tokenizer.bosId, ...generated];
          const last = tf.tidy(() => {
            const logits = this.decode(memory, batch.sourceMask, tf.tensor2d([ids], [1, ids.length], 'int32'));
            return tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1]);
          });
          const values = await last.data();
          last.dispose();
          return values;
        },
        this.tokenizer,
        { ...options, maxTokens: Number.isNaN(maxTokens) ? options.maxTokens : maxTokens },
      );
    } finally {
      tf.dispose([memory, batch.sourceIds, batch.sourceMask, batch.decoderIds, batch.labels]);
    }
  }
}
