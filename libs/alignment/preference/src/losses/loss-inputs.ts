import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { PairedLogProbs, UnpairedLogProbs } from './preference-loss.types';

/** Rejects non-positive or non-finite β before any tensor work. */
export function checkBeta(beta: number): number {
  if (!Number.isFinite(beta) || beta <= 0) {
    throw new InvalidInputError(`beta must be a finite positive number, got ${beta}`, { beta });
  }
  return beta;
}

/** All four paired inputs must be 1-D and the same length. */
export function checkPaired(batch: PairedLogProbs): number {
  const n = batch.policyChosen.shape[0];
  for (const [name, t] of Object.entries(batch) as [string, tf.Tensor][]) {
    if (t.rank !== 1) throw new InvalidInputError(`${name} must be 1-D, got rank ${t.rank}`);
    if (t.shape[0] !== n) {
      throw new DimensionMismatchError(`${name} has ${t.shape[0]} rows, expected ${n}`, { name });
    }
  }
  if (n === 0) throw new InvalidInputError('empty preference batch');
  return n;
}

export function checkUnpaired(batch: UnpairedLogProbs, weights?: tf.Tensor1D): number {
  const n = batch.policy.shape[0];
  const all: [string, tf.Tensor | undefined][] = [
    ['policy', batch.policy],
    ['reference', batch.reference],
    ['labels', batch.labels],
    ['weights', weights],
  ];
  for (const [name, t] of all) {
    if (!t) continue;
    if (t.rank !== 1) throw new InvalidInputError(`${name} must be 1-D, got rank ${t.rank}`);
    if (t.shape[0] !== n) {
      throw new DimensionMismatchError(`${name} has ${t.shape[0]} rows, expected ${n}`, { name });
    }
  }
  if (n === 0) throw new InvalidInputError('empty preference batch');
  return n;
}

/** −log σ(u), computed stably as softplus(−u). */
export function negLogSigmoid(u: tf.Tensor): tf.Tensor {
  return tf.softplus(tf.neg(u));
}
