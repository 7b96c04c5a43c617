import type * as tf from '@tensorflow/tfjs';

export interface PromptCompletion {
  prompt: string;
  completion: string;
}

/**
 * A right-padded batch of prompt + completion token ids. `labels` equal the ids on completion positions
 * and −100 on the BOS, prompt and padding positions, so `sequenceLogProb(logits, labels)` is
 * log π(completion | prompt).
 */
export interface EncodedCompletions {
  inputIds: tf.Tensor2D;
  labels: tf.Tensor2D;
  /** Row indices whose prompt was cut from the left to fit the context. */
  truncatedPrompts: number[];
  /** Row indices whose completion was cut at the end. */
  truncatedCompletions: number[];
}

/**
 * What the preference trainer needs from a causal LM (the policy or the frozen reference). Libraries never
 * import model code, so `@tessera/alignment/lm` implements this port.
 */
export interface CausalLmPolicy {
  /** Identifies the tokenizer (vocabulary hash); policy and reference must agree. */
  readonly tokenizerFingerprint: string;
  encodeCompletions(rows: readonly PromptCompletion[]): Promise<EncodedCompletions>;
  /** Logits [B, T, V] for int32 ids [B, T]. */
  logits(inputIds: tf.Tensor2D): tf.Tensor3D;
  trainableVariables(): tf.Variable[];
}
