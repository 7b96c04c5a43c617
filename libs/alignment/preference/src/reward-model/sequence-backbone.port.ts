import type * as tf from '@tensorflow/tfjs';
import type { EncodedCompletions, PromptCompletion } from '../causal-lm-policy.port';

/**
 * What a reward model needs from a transformer: the same row encoding as the policy port and the final
 * hidden states. `@tessera/alignment/lm`'s `TransformerLm` implements it; libraries never import model code.
 */
export interface SequenceBackbone {
  readonly tokenizerFingerprint: string;
  readonly hiddenSize: number;
  encodeCompletions(rows: readonly PromptCompletion[]): Promise<EncodedCompletions>;
  /** Hidden states [B, T, d] for int32 ids [B, T]. */
  hiddenStates(inputIds: tf.Tensor2D): tf.Tensor3D;
  trainableVariables(): tf.Variable[];
}
