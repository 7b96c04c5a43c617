import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import type { CausalLmPolicy } from '../causal-lm-policy.port';
import type { PreferencePair } from '../records/preference-example.types';
import { pairedMetricsFromRewards, type PairedMetrics } from '../preference-metrics';
import { sequenceLogProb } from '../sequence-log-prob';

export interface PairEvaluation extends PairedMetrics {
  /** Fraction of pairs where the policy alone gives the chosen completion a higher log-prob. */
  policyLogProbAccuracy: number;
  /** Mean log π_θ(y|x) − log π_ref(y|x) over chosen and rejected completions (a sequence-level KL proxy). */
  meanLogRatio: number;
}

/**
 * Held-out implicit-reward evaluation: r = β(log π_θ − log π_ref) on chosen and rejected completions;
 * accuracy = share of pairs with r_w > r_l (ties count as misses), margin = mean(r_w − r_l).
 */
export async function evaluatePreferencePairs(
  policy: CausalLmPolicy,
  reference: CausalLmPolicy,
  pairs: readonly PreferencePair[],
  options: { beta?: number; batchSize?: number } = {},
): Promise<PairEvaluation> {
  if (pairs.length === 0) throw new InvalidInputError('no pairs to evaluate');
  const beta = options.beta ?? 0.1;
  const bs = options.batchSize ?? 16;
  const chosen: number[] = [];
  const rejected: number[] = [];
  let policyWins = 0;
  let logRatio = 0;
  for (let i = 0; i < pairs.length; i += bs) {
    const batch = pairs.slice(i, i + bs);
    const n = batch.length;
    const enc = await policy.encodeCompletions([
      ...batch.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
      ...batch.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
    ]);
    const lp = tf.tidy(() => sequenceLogProb(policy.logits(enc.inputIds), enc.labels));
    const lr = tf.tidy(() => sequenceLogProb(reference.logits(enc.inputIds), enc.labels));
    const [p, r] = await Promise.all([lp.data(), lr.data()]);
    tf.dispose([lp, lr, enc.inputIds, enc.labels]);
    for (let j = 0; j < n; j++) {
      chosen.push(beta * (p[j] - r[j]));
      rejected.push(beta * (p[n + j] - r[n + j]));
      if (p[j] > p[n + j]) policyWins++;
      logRatio += p[j] - r[j] + (p[n + j] - r[n + j]);
    }
  }
  return {
    ...pairedMetricsFromRewards(chosen, rejected),
    policyLogProbAccuracy: policyWins / pairs.length,
    meanLogRatio: logRatio / (2 * pairs.length),
  };
}
