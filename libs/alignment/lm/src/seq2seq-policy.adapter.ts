import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import type { CausalLmPolicy, EncodedCompletions, PromptCompletion } from '@tessera/alignment/preference';
import { IGNORE_INDEX } from '@tessera/alignment/preference';
import type { Seq2SeqLm } from './seq2seq-lm';

/**
 * Lets the preference trainer (which scores `sequenceLogProb(logits(inputIds), labels)` with the causal
 * shift) train a `Seq2SeqLm`. Each row is packed as [source + EOS, padded to maxSourceLength | BOS + completion
 * + EOS]; `logits` returns zeros over the source columns and the decoder's logits after them, and labels are
 * −100 up to and including BOS. With the shift, decoder position j is scored against completion token j: exactly
 * log p(completion + EOS | prompt). The fixed source width keeps the split known for any batch of such rows.
 */
export class Seq2SeqPolicyAdapter implements CausalLmPolicy {
  constructor(readonly model: Seq2SeqLm) {}

  get tokenizerFingerprint(): string {
    return this.model.tokenizerFingerprint;
  }

  trainableVariables(): tf.Variable[] {
    return this.model.trainableVariables();
  }

  async encodeCompletions(rows: readonly PromptCompletion[]): Promise<EncodedCompletions> {
    if (rows.length === 0) throw new InvalidInputError('cannot encode an empty batch');
    const { tokenizer } = this.model;
    const { maxSourceLength: s, maxTargetLength } = this.model.config;
    const [prompts, completions] = await Promise.all([
      tokenizer.encodeBatch(rows.map((r) => r.prompt)),
      tokenizer.encodeBatch(rows.map((r) => r.completion)),
    ]);
    const truncatedPrompts = prompts.flatMap((p, i) => (p.length > s - 1 ? [i] : []));
    const truncatedCompletions = completions.flatMap((c, i) => (c.length + 1 > maxTargetLength - 1 ? [i] : []));
    const dec = completions.map((c) => [...c, tokenizer.eosId].slice(0, maxTargetLength - 1));
    const width = s + 1 + Math.max(...dec.map((d) => d.length));
    const ids = new Int32Array(rows.length * width).fill(tokenizer.padId);
    const labels = new Int32Array(rows.length * width).fill(IGNORE_INDEX);
    rows.forEach((_, r) => {
      const src = [...prompts[r].slice(Math.max(0, prompts[r].length - (s - 1))), tokenizer.eosId];
      src.forEach((id, j) => (ids[r * width + j] = id));
      ids[r * width + s] = tokenizer.bosId;
      dec[r].forEach((id, j) => {
        ids[r * width + s + 1 + j] = id;
        labels[r * width + s + 1 + j] = id;
      });
    });
    return {
      inputIds: tf.tensor2d(ids, [rows.length, width], 'int32'),
      labels: tf.tensor2d(labels, [rows.length, width], 'int32'),
      truncatedPrompts,
      truncatedCompletions,
    };
  }

  /** Logits [B, S + T, V] of packed rows: zeros over the S source columns, the decoder's logits after them. */
  logits(inputIds: tf.Tensor2D): tf.Tensor3D {
    const [b, w] = inputIds.shape;
    const s = this.model.config.maxSourceLength;
    if (w <= s) throw new InvalidInputError(`packed rows of width ${w} have no decoder part (source width ${s})`);
    return tf.tidy(() => {
      const sourceIds = tf.slice(inputIds, [0, 0], [b, s]) as tf.Tensor2D;
      const sourceMask = tf.cast(tf.notEqual(sourceIds, this.model.tokenizer.padId), 'int32') as tf.Tensor2D;
      const decoderIds = tf.slice(inputIds, [0, s], [b, w - s]) as tf.Tensor2D;
      const dec = this.model.logits(sourceIds, sourceMask, decoderIds);
      return tf.concat([tf.zeros([b, s, this.model.config.vocabSize]), dec], 1) as tf.Tensor3D;
    });
  }
}
