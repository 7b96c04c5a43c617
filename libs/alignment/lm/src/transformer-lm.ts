import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import { LayerNorm, TokenPositionEmbedding, TransformerEncoderBlock } from '@tessera/tensor';
import type { CausalLmPolicy, EncodedCompletions, PromptCompletion } from '@tessera/alignment/preference';
import { IGNORE_INDEX, sequenceLogProb } from '@tessera/alignment/preference';
import type { LmTokenizer } from './lm-tokenizer';
import { ParamStoreLm } from './param-store-lm';
import {
  parseTransformerLmConfig,
  type TransformerLmConfig,
  type TransformerLmConfigInput,
} from './transformer-lm.config';

export type { NamedWeight } from './param-store-lm';

/**
 * A small decoder-only transformer LM: learned token + position embeddings, pre-norm blocks from
 * `@tessera/tensor` run with a causal bias, a final layer norm and an output layer tied to the token
 * embeddings. Right padding needs no mask: a causal model never looks right, so real tokens never see it.
 */
export class TransformerLm extends ParamStoreLm<TransformerLmConfig> implements CausalLmPolicy {
  private readonly embedding: TokenPositionEmbedding;
  private readonly blocks: TransformerEncoderBlock[] = [];
  private readonly finalNorm: LayerNorm;

  constructor(configInput: TransformerLmConfigInput, tokenizer: LmTokenizer, options: { trainable?: boolean } = {}) {
    super(parseTransformerLmConfig(configInput), tokenizer, options);
    const { vocabSize, contextLength, dModel, dFf, nHeads, nLayers, seed } = this.config;
    const rng = new Rng(seed);
    // One-hot lookup: a plain matmul, whose gradient every backend has (the vocabulary is small).
    this.embedding = new TokenPositionEmbedding(
      this.store,
      'emb',
      { vocabSize, maxLength: contextLength, dModel, lookup: 'onehot' },
      rng,
    );
    for (let l = 0; l < nLayers; l++) {
      this.blocks.push(
        new TransformerEncoderBlock(this.store, `h${l}`, { dModel, numHeads: nHeads, dFF: dFf, dropout: 0 }, rng),
      );
    }
    this.finalNorm = new LayerNorm(this.store, 'ln_f', dModel);
  }

  /** A frozen copy: the reference model of preference training. */
  frozenCopy(): TransformerLm {
    const copy = new TransformerLm(this.config, this.tokenizer, { trainable: false });
    copy.copyWeightsFrom(this);
    return copy;
  }

  /** Width of the hidden states (the reward model's head reads it). */
  get hiddenSize(): number {
    return this.config.dModel;
  }

  /** Final-layer-norm hidden states [B, T, d] for int32 token ids [B, T], T ≤ contextLength. */
  hiddenStates(inputIds: tf.Tensor2D): tf.Tensor3D {
    const t = inputIds.shape[1];
    const { contextLength } = this.config;
    if (t > contextLength)
      throw new InvalidInputError(`sequence length ${t} exceeds the context length ${contextLength}`);
    return tf.tidy(() => {
      let x = this.embedding.apply(inputIds);
      const bias = this.causalSelfBias(t, contextLength);
      for (const block of this.blocks) x = block.apply(x, { bias });
      return this.finalNorm.apply(x) as tf.Tensor3D;
    });
  }

  /** Logits [B, T, V] for int32 token ids [B, T], T ≤ contextLength. */
  logits(inputIds: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = inputIds.shape;
    const { vocabSize: v, dModel: d } = this.config;
    return tf.tidy(() => {
      const out = tf.reshape(this.hiddenStates(inputIds), [b * t, d]) as tf.Tensor2D;
      return tf.reshape(tf.matMul(out, this.embedding.tokens as tf.Tensor2D, false, true), [b, t, v]) as tf.Tensor3D;
    });
  }

  /**
   * Next-token logits [B, V] read at one position per row (`positions[i]` < T): batched generation over
   * right-padded rows of different lengths projects only those rows onto the vocabulary.
   */
  logitsAt(inputIds: tf.Tensor2D, positions: readonly number[]): tf.Tensor2D {
    const [b, t] = inputIds.shape;
    const d = this.config.dModel;
    if (positions.length !== b) throw new DimensionMismatchError(`${positions.length} positions for ${b} rows`);
    return tf.tidy(() => {
      const flat = tf.reshape(this.hiddenStates(inputIds), [b * t, d]) as tf.Tensor2D;
      const rows = tf.gather(
        flat,
        tf.tensor1d(
          positions.map((p, i) => i * t + p),
          'int32',
        ),
      );
      return tf.matMul(rows, this.embedding.tokens as tf.Tensor2D, false, true) as tf.Tensor2D;
    });
  }

  /**
   * Token ids of one row: BOS + prompt + completion + EOS. The completion (with EOS) keeps at most
   * `maxCompletionTokens`; the prompt is cut from the left (oldest turns first) to fit the context.
   */
  private packRow(
    promptIds: number[],
    completionIds: number[],
  ): { ids: number[]; completionStart: number; promptTruncated: boolean; completionTruncated: boolean } {
    const { contextLength, maxCompletionTokens } = this.config;
    let completion = [...completionIds, this.tokenizer.eosId];
    const completionTruncated = completion.length > maxCompletionTokens;
    if (completionTruncated) completion = completion.slice(0, maxCompletionTokens);
    let prompt = promptIds;
    const room = contextLength - 1 - completion.length;
    const promptTruncated = prompt.length > room;
    if (promptTruncated) prompt = prompt.slice(prompt.length - room);
    return {
      ids: [this.tokenizer.bosId, ...prompt, ...completion],
      completionStart: 1 + prompt.length,
      promptTruncated,
      completionTruncated,
    };
  }

  async encodeCompletions(rows: readonly PromptCompletion[]): Promise<EncodedCompletions> {
    if (rows.length === 0) throw new InvalidInputError('cannot encode an empty batch');
    const [prompts, completions] = await Promise.all([
      this.tokenizer.encodeBatch(rows.map((r) => r.prompt)),
      this.tokenizer.encodeBatch(rows.map((r) => r.completion)),
    ]);
    const enc = rows.map((_, i) => this.packRow(prompts[i], completions[i]));
    const width = Math.max(...enc.map((e) => e.ids.length));
    const ids = new Int32Array(rows.length * width).fill(this.tokenizer.padId);
    const labels = new Int32Array(rows.length * width).fill(IGNORE_INDEX);
    enc.forEach((e, r) => {
      e.ids.forEach((id, j) => {
        ids[r * width + j] = id;
        if (j >= e.completionStart) labels[r * width + j] = id;
      });
    });
    return {
      inputIds: tf.tensor2d(ids, [rows.length, width], 'int32'),
      labels: tf.tensor2d(labels, [rows.length, width], 'int32'),
      truncatedPrompts: enc.flatMap((e, i) => (e.promptTruncated ? [i] : [])),
      truncatedCompletions: enc.flatMap((e, i) => (e.completionTruncated ? [i] : [])),
    };
  }

  /**
   * Exact log π(completion | prompt) per row (summed over completion tokens and EOS), padded batches
   * included. Returns numbers; use `logits` + `sequenceLogProb` inside a gradient.
   */
  async completionLogProbs(rows: readonly PromptCompletion[], batchSize = 16): Promise<Float32Array> {
    const out = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i += batchSize) {
      const enc = await this.encodeCompletions(rows.slice(i, i + batchSize));
      const lp = tf.tidy(() => sequenceLogProb(this.logits(enc.inputIds), enc.labels));
      out.set(await lp.data(), i);
      tf.dispose([lp, enc.inputIds, enc.labels]);
    }
    return out;
  }
}
