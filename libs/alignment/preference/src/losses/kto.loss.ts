import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import { checkBeta, checkUnpaired } from './loss-inputs';
import {
  DEFAULT_BETA,
  type BetaOptions,
  type UnpairedLogProbs,
  type UnpairedLossOutput,
} from './preference-loss.types';

export interface KtoOptions extends BetaOptions {
  /** λ_D, weight of desirable rows (default 1). */
  desirableWeight?: number;
  /** λ_U, weight of undesirable rows (default 1). */
  undesirableWeight?: number;
  /**
   * Reference point z0 in log-ratio units, already detached and clamped (see `ktoReferencePoint`).
   */
  z0: number;
}

/**
 * KTO in TRL's form: desirable rows λ_D·(1 − σ(β(lr − z0))), undesirable rows λ_U·(1 − σ(β(z0 − lr))),
 * averaged over the whole (concatenated) batch. 1 − σ(u) is computed as σ(−u).
 */
export function ktoLoss(batch: UnpairedLogProbs, options: KtoOptions): UnpairedLossOutput {
  const beta = checkBeta(options.beta ?? DEFAULT_BETA);
  const lambdaD = options.desirableWeight ?? 1;
  const lambdaU = options.undesirableWeight ?? 1;
  if (!(lambdaD >= 0) || !(lambdaU >= 0)) {
    throw new InvalidInputError('KTO weights must be non-negative', { lambdaD, lambdaU });
  }
  if (!Number.isFinite(options.z0)) throw new InvalidInputError(`KTO z0 must be finite, got ${options.z0}`);
  checkUnpaired(batch);
  return tf.tidy(() => {
    const lr = tf.sub(batch.policy, batch.reference);
    const u = tf.mul(beta, tf.sub(lr, options.z0));
    const desirable = tf.mul(lambdaD, tf.sigmoid(tf.neg(u)));
    const undesirable = tf.mul(lambdaU, tf.sigmoid(u));
    const mask = batch.labels;
    const losses = tf.add(tf.mul(mask, desirable), tf.mul(tf.sub(1, mask), undesirable)) as tf.Tensor1D;
    return { loss: tf.mean(losses) as tf.Scalar, losses, rewards: tf.mul(beta, lr) as tf.Tensor1D };
  });
}

/**
 * KTO's reference point: z0 = max(0, mean(log π_θ(y'|x) − log π_ref(y'|x))) over mismatched pairs
 * (see `mismatchCompletions`). Read back as a number (`await data()`, any backend), so it is detached by construction.
 */
export async function ktoReferencePoint(
  policyMismatched: tf.Tensor1D,
  referenceMismatched: tf.Tensor1D,
): Promise<number> {
  if (policyMismatched.shape[0] !== referenceMismatched.shape[0] || policyMismatched.shape[0] === 0) {
    throw new InvalidInputError('mismatched log-probs must be non-empty and the same length');
  }
  const m = tf.tidy(() => tf.mean(tf.sub(policyMismatched, referenceMismatched)));
  try {
    return Math.max(0, (await m.data())[0]);
  } finally {
    m.dispose();
  }
}

/**
 * Pairs each prompt with the previous row's completion: completions rotated by one,
 * `[c_last, c_0, …, c_{n−2}]`. Used only for KTO's z0 estimate.
 */
export function mismatchCompletions<R extends { completion: unknown }>(rows: readonly R[]): R[] {
  const n = rows.length;
  return rows.map((row, i) => ({ ...row, completion: rows[(i - 1 + n) % n].completion }));
}

/**
 * KTO Eq. 8: λ_D·n_D / (λ_U·n_U) should lie in [1, 4/3]. Returns a warning text when it does not.
 */
export function ktoImbalanceWarning(
  nDesirable: number,
  nUndesirable: number,
  desirableWeight = 1,
  undesirableWeight = 1,
): string | undefined {
  const ratio = (desirableWeight * nDesirable) / (undesirableWeight * nUndesirable);
  if (ratio >= 1 && ratio <= 4 / 3) return undefined;
  return (
    `KTO weights are imbalanced: λ_D·n_D/(λ_U·n_U) = ${ratio.toFixed(3)} is outside [1, 4/3] ` +
    `(n_D=${nDesirable}, n_U=${nUndesirable}, λ_D=${desirableWeight}, λ_U=${undesirableWeight})`
  );
}
