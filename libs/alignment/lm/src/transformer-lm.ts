import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { CausalLmPolicy, EncodedCompletions, PromptCompletion } from '@tessera/alignment/preference';
import { IGNORE_INDEX, sequenceLogProb } from '@tessera/alignment/preference';
import type { LmTokenizer } from './lm-tokenizer';
import { parseTransformerLmConfig, type TransformerLmConfig, type TransformerLmConfigInput } from './transformer-lm.config';

/** A named weight; names are the checkpoint keys, independent of TF.js's global variable names. */
export interface NamedWeight {
  name: string;
  variable: tf.Variable;
}

/**
 * A small decoder-only transformer LM (pre-LN blocks, learned positions, tied input/output embeddings)
 * written on TF.js core ops so every weight is an explicit variable. Embedding lookups are one-hot
 * matmuls because gather's gradient is missing on the wasm backend.
 */
export class TransformerLm implements CausalLmPolicy {
  readonly config: TransformerLmConfig;
  private readonly weights = new Map<string, tf.Variable>();
  private causalMask?: tf.Tensor2D;

  constructor(
    configInput: TransformerLmConfigInput,
    readonly tokenizer: LmTokenizer,
    options: { trainable?: boolean } = {},
  ) {
    this.config = parseTransformerLmConfig(configInput);
    if (this.config.vocabSize !== tokenizer.vocabSize) {
      throw new DimensionMismatchError(`config vocabSize ${this.config.vocabSize} != tokenizer vocabSize ${tokenizer.vocabSize}`);
    }
    const { vocabSize: v, contextLength: t, dModel: d, dFf: f, nLayers, seed } = this.config;
    const trainable = options.trainable ?? true;
    let k = 0;
    const add = (name: string, shape: number[], init: 'normal' | 'zeros' | 'ones', std = 0.02) => {
      const value =
        init === 'normal' ? tf.randomNormal(shape, 0, std, 'float32', seed * 1000 + k++) : init === 'ones' ? tf.ones(shape) : tf.zeros(shape);
      this.weights.set(name, tf.variable(value, trainable));
      value.dispose();
    };
    add('tok_emb', [v, d], 'normal');
    add('pos_emb', [t, d], 'normal', 0.01);
    // GPT-2 style: residual projections scaled down by depth.
    const resStd = 0.02 / Math.sqrt(2 * nLayers);
    for (let l = 0; l < nLayers; l++) {
      add(`h${l}.ln1.g`, [d], 'ones');
      add(`h${l}.ln1.b`, [d], 'zeros');
      add(`h${l}.attn.wqkv`, [d, 3 * d], 'normal');
      add(`h${l}.attn.bqkv`, [3 * d], 'zeros');
      add(`h${l}.attn.wo`, [d, d], 'normal', resStd);
      add(`h${l}.attn.bo`, [d], 'zeros');
      add(`h${l}.ln2.g`, [d], 'ones');
      add(`h${l}.ln2.b`, [d], 'zeros');
      add(`h${l}.mlp.w1`, [d, f], 'normal');
      add(`h${l}.mlp.b1`, [f], 'zeros');
      add(`h${l}.mlp.w2`, [f, d], 'normal', resStd);
      add(`h${l}.mlp.b2`, [d], 'zeros');
    }
    add('ln_f.g', [d], 'ones');
    add('ln_f.b', [d], 'zeros');
  }

  get tokenizerFingerprint(): string {
    return this.tokenizer.fingerprint();
  }

  namedWeights(): NamedWeight[] {
    return [...this.weights].map(([name, variable]) => ({ name, variable }));
  }

  trainableVariables(): tf.Variable[] {
    return [...this.weights.values()].filter((v) => v.trainable);
  }

  parameterCount(): number {
    return [...this.weights.values()].reduce((n, v) => n + v.size, 0);
  }

  /** Copies every weight value from another model of the same shape (e.g. the SFT model into the reference). */
  copyWeightsFrom(other: TransformerLm): void {
    for (const { name, variable } of other.namedWeights()) {
      const mine = this.weights.get(name);
      if (!mine || mine.shape.join() !== variable.shape.join()) throw new DimensionMismatchError(`weight ${name} does not match`);
      mine.assign(variable);
    }
  }

  /** A frozen copy (trainable = false): the reference model of preference training. */
  frozenCopy(): TransformerLm {
    const copy = new TransformerLm(this.config, this.tokenizer, { trainable: false });
    copy.copyWeightsFrom(this);
    return copy;
  }

  private w(name: string): tf.Variable {
    const v = this.weights.get(name);
    if (!v) throw new Error(`missing weight ${name}`);
    return v;
  }

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), this.w(`${prefix}.g`)), this.w(`${prefix}.b`));
  }

  private mask(t: number): tf.Tensor2D {
    const full = this.config.contextLength;
    if (!this.causalMask) {
      // 0 on and below the diagonal, −1e9 above: position i never attends to j > i (nor to right padding).
      this.causalMask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([full, full]), -1, 0)), -1e9)) as tf.Tensor2D;
      tf.keep(this.causalMask);
    }
    return tf.slice(this.causalMask, [0, 0], [t, t]);
  }

  /** Logits [B, T, V] for int32 token ids [B, T], T ≤ contextLength. */
  logits(inputIds: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = inputIds.shape;
    const { vocabSize: v, dModel: d, nHeads: h, nLayers, contextLength } = this.config;
    if (t > contextLength) throw new InvalidInputError(`sequence length ${t} exceeds the context length ${contextLength}`);
    const dh = d / h;
    return tf.tidy(() => {
      const flatIds = tf.reshape(inputIds, [b * t]);
      let x = tf.matMul(tf.oneHot(tf.cast(flatIds, 'int32'), v), this.w('tok_emb'));
      x = tf.add(tf.reshape(x, [b, t, d]), tf.slice(this.w('pos_emb'), [0, 0], [t, d]));
      const mask = this.mask(t);
      const heads = (m: tf.Tensor) => tf.transpose(tf.reshape(m, [b, t, h, dh]), [0, 2, 1, 3]);
      for (let l = 0; l < nLayers; l++) {
        const a = tf.reshape(this.layerNorm(x, `h${l}.ln1`), [b * t, d]);
        const qkv = tf.add(tf.matMul(a, this.w(`h${l}.attn.wqkv`)), this.w(`h${l}.attn.bqkv`));
        const [q, k, val] = tf.split(qkv, 3, -1);
        const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(dh)), mask);
        const ctx = tf.matMul(tf.softmax(scores), heads(val));
        const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b * t, d]);
        const attnOut = tf.add(tf.matMul(merged, this.w(`h${l}.attn.wo`)), this.w(`h${l}.attn.bo`));
        x = tf.add(x, tf.reshape(attnOut, [b, t, d]));
        const m = tf.reshape(this.layerNorm(x, `h${l}.ln2`), [b * t, d]);
        const hidden = gelu(tf.add(tf.matMul(m, this.w(`h${l}.mlp.w1`)), this.w(`h${l}.mlp.b1`)));
        const mlpOut = tf.add(tf.matMul(hidden, this.w(`h${l}.mlp.w2`)), this.w(`h${l}.mlp.b2`));
        x = tf.add(x, tf.reshape(mlpOut, [b, t, d]));
      }
      const out = tf.reshape(this.layerNorm(x, 'ln_f'), [b * t, d]);
      return tf.reshape(tf.matMul(out, this.w('tok_emb'), false, true), [b, t, v]) as tf.Tensor3D;
    });
  }

  /**
   * Token ids of one row: BOS + prompt + completion + EOS. The completion (with EOS) keeps at most
   * `maxCompletionTokens`; the prompt is cut from the left (oldest turns first) to fit the context.
   */
  encodeRow(row: PromptCompletion): { ids: number[]; completionStart: number; promptTruncated: boolean; completionTruncated: boolean } {
    const { contextLength, maxCompletionTokens } = this.config;
    let completion = [...this.tokenizer.encode(row.completion), this.tokenizer.eosId];
    const completionTruncated = completion.length > maxCompletionTokens;
    if (completionTruncated) completion = completion.slice(0, maxCompletionTokens);
    let prompt = this.tokenizer.encode(row.prompt);
    const room = contextLength - 1 - completion.length;
    const promptTruncated = prompt.length > room;
    if (promptTruncated) prompt = prompt.slice(prompt.length - room);
    return { ids: [this.tokenizer.bosId, ...prompt, ...completion], completionStart: 1 + prompt.length, promptTruncated, completionTruncated };
  }

  encodeCompletions(rows: readonly PromptCompletion[]): EncodedCompletions {
    if (rows.length === 0) throw new InvalidInputError('cannot encode an empty batch');
    const enc = rows.map((r) => this.encodeRow(r));
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
      const enc = this.encodeCompletions(rows.slice(i, i + batchSize));
      const lp = tf.tidy(() => sequenceLogProb(this.logits(enc.inputIds), enc.labels));
      out.set(await lp.data(), i);
      tf.dispose([lp, enc.inputIds, enc.labels]);
    }
    return out;
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
    this.weights.clear();
    this.causalMask?.dispose();
    this.causalMask = undefined;
  }
}

/** GELU, tanh approximation. */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}
