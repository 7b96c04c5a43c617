import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError } from '@tessera/common';
import { ParamStore, causalBias } from '@tessera/tensor';
import type { LmTokenizer } from './lm-tokenizer';

/** A named weight; names are the checkpoint keys, independent of TF.js's global variable names. */
export interface NamedWeight {
  name: string;
  variable: tf.Variable;
}

/**
 * The weight bookkeeping the decoder-only and the encoder–decoder LM share: the parsed config and a
 * tokenizer of the same vocabulary, one `ParamStore` whose names are the checkpoint keys, no trainable
 * weights for a frozen (reference) copy, and one kept causal mask that attention biases are sliced from.
 */
export abstract class ParamStoreLm<C extends { vocabSize: number }> {
  protected readonly store = new ParamStore();
  private readonly frozen: boolean;
  private causalMask?: tf.Tensor4D;

  protected constructor(
    readonly config: C,
    readonly tokenizer: LmTokenizer,
    options: { trainable?: boolean },
  ) {
    if (config.vocabSize !== tokenizer.vocabSize) {
      throw new DimensionMismatchError(
        `config vocabSize ${config.vocabSize} != tokenizer vocabSize ${tokenizer.vocabSize}`,
      );
    }
    this.frozen = options.trainable === false;
  }

  get tokenizerFingerprint(): string {
    return this.tokenizer.fingerprint();
  }

  namedWeights(): NamedWeight[] {
    return this.store.entries().map(([name, variable]) => ({ name, variable }));
  }

  /** The policy's weights; a frozen reference copy has none to train. */
  trainableVariables(): tf.Variable[] {
    return this.frozen ? [] : this.store.trainable();
  }

  parameterCount(): number {
    return this.store.size();
  }

  /** Copies every weight value from another model of the same shape (e.g. the SFT model into the reference). */
  copyWeightsFrom(other: this): void {
    this.store.assign(Object.fromEntries(other.namedWeights().map((w) => [w.name, w.variable])));
  }

  /** Causal self-attention bias [1, 1, t, t]; the full mask of `maxLength` is built once and kept. */
  protected causalSelfBias(t: number, maxLength: number): tf.Tensor4D {
    if (!this.causalMask) this.causalMask = tf.keep(causalBias(maxLength));
    return tf.slice(this.causalMask, [0, 0, 0, 0], [1, 1, t, t]);
  }

  dispose(): void {
    this.store.dispose();
    this.causalMask?.dispose();
    this.causalMask = undefined;
  }
}
