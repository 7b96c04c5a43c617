import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError } from '@tessera/common';
import type { RankingBatch } from './ranking-loss.types';

/** Rejects non-positive or non-finite temperatures before any tensor work. */
export function checkTemperature(temperature: number): number {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new InvalidInputError(`temperature must be a finite positive number, got ${temperature}`, { temperature });
  }
  return temperature;
}

/** Checks shapes and index ranges; returns [nU, I, P]. */
export function checkRankingBatch(batch: RankingBatch): [number, number, number] {
  if (batch.scores.rank !== 2)
    throw new InvalidInputError(`scores must be 2-D [users, items], got rank ${batch.scores.rank}`);
  const [nU, nI] = batch.scores.shape;
  const p = batch.posUser.length;
  if (p === 0) throw new InvalidInputError('ranking batch has no positive pairs');
  if (batch.posItem.length !== p) {
    throw new DimensionMismatchError(`posItem has ${batch.posItem.length} entries, posUser ${p}`, {
      posItem: batch.posItem.length,
      posUser: p,
    });
  }
  if (batch.posRating && batch.posRating.length !== p) {
    throw new DimensionMismatchError(`posRating has ${batch.posRating.length} entries, expected ${p}`);
  }
  if (batch.interacted.length !== nU * nI) {
    throw new DimensionMismatchError(`interacted has ${batch.interacted.length} entries, expected ${nU}×${nI}`);
  }
  if (batch.ratings && batch.ratings.length !== nU * nI) {
    throw new DimensionMismatchError(`ratings has ${batch.ratings.length} entries, expected ${nU}×${nI}`);
  }
  for (let k = 0; k < p; k++) {
    const u = batch.posUser[k];
    const i = batch.posItem[k];
    if (u < 0 || u >= nU || i < 0 || i >= nI) {
      throw new InvalidInputError(`positive pair ${k} (${u}, ${i}) is outside the ${nU}×${nI} score matrix`, {
        pair: k,
      });
    }
  }
  return [nU, nI, p];
}

/**
 * The score rows of the positive pairs' users, [P, I]. A one-hot matmul instead of gather keeps
 * the gradient on kernels every backend has.
 */
export function rowsOfPairs(scores: tf.Tensor2D, posUser: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    return tf.matMul(selectionMatrix(posUser, scores.shape[0]), scores);
  });
}

/**
 * One-hot rows [n, depth] built in JS (tf.oneHot refuses depth 1); multiplying by it selects rows
 * with a plain matmul gradient.
 */
export function selectionMatrix(indices: ArrayLike<number>, depth: number): tf.Tensor2D {
  const values = new Float32Array(indices.length * depth);
  for (let k = 0; k < indices.length; k++) values[k * depth + indices[k]] = 1;
  return tf.tensor2d(values, [indices.length, depth]);
}
