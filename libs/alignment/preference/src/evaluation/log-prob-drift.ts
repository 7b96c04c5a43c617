import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import type { CausalLmPolicy, PromptCompletion } from '../causal-lm-policy.port';
import { tokenLogProbs } from '../sequence-log-prob';

export interface LogProbDrift {
  /** Mean over rows of Σ_t (log π_θ − log π_ref) / n_tokens: the per-token drift from the reference. */
  perToken: number;
  /** Mean over rows of Σ_t (log π_θ − log π_ref) (nats per completion). */
  perSequence: number;
  /** Completion tokens scored (EOS included). */
  tokens: number;
  count: number;
}

/**
 * How far a policy's log-probabilities moved from the reference on fixed completions (e.g. held-out chosen
 * responses): per row the summed log-ratio over completion tokens, and that sum divided by the row's token
 * count. Negative means the policy finds these texts less likely than the reference did. A policy equal to its
 * reference gives exactly 0.
 */
export async function evaluateLogProbDrift(
  policy: CausalLmPolicy,
  reference: CausalLmPolicy,
  rows: readonly PromptCompletion[],
  options: { batchSize?: number } = {},
): Promise<LogProbDrift> {
  if (rows.length === 0) throw new InvalidInputError('no rows to measure drift on');
  const bs = options.batchSize ?? 16;
  let perToken = 0;
  let perSequence = 0;
  let tokens = 0;
  for (let i = 0; i < rows.length; i += bs) {
    const enc = await policy.encodeCompletions(rows.slice(i, i + bs));
    const [b, t] = enc.inputIds.shape;
    const diff = tf.tidy(() =>
      tf.sum(
        tf.sub(
          tokenLogProbs(policy.logits(enc.inputIds), enc.labels),
          tokenLogProbs(reference.logits(enc.inputIds), enc.labels),
        ),
        -1,
      ),
    );
    const counts = tf.tidy(() =>
      tf.sum(tf.cast(tf.notEqual(tf.slice(enc.labels, [0, 1], [b, t - 1]), -100), 'float32'), -1),
    );
    const [d, c] = await Promise.all([diff.data(), counts.data()]);
    tf.dispose([diff, counts, enc.inputIds, enc.labels]);
    for (let r = 0; r < b; r++) {
      perSequence += d[r];
      perToken += c[r] > 0 ? d[r] / c[r] : 0;
      tokens += c[r];
    }
  }
  return { perToken: perToken / rows.length, perSequence: perSequence / rows.length, tokens, count: rows.length };
}
