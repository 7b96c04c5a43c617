import * as tf from '@tensorflow/tfjs';
import { evaluateRankings, topKIndices } from '@tessera/eval';
import type { ItemTokens } from '../encoder';
import type { ColdStartModel } from './cold-start-model';
import type { RankingTask } from './cold-validation';
import { sparseScores } from './lexical-channel';

/** Multipliers of the learned α and γ tried by the calibration; (1, 1) keeps the trained values. */
export const SHARPNESS_GRID = [0.75, 1, 1.5, 2] as const;
export const SCALE_GRID = [0.5, 0.75, 1, 1.5, 2, 3, 4] as const;

export interface LexicalCalibration {
  /** α and γ before and after. */
  trained: { sharpness: number; scale: number };
  chosen: { sharpness: number; scale: number };
  /** Validation Recall@K and NDCG@K at the trained and at the chosen values. */
  trainedMetrics: CalibrationMetrics;
  chosenMetrics: CalibrationMetrics;
}

export interface CalibrationMetrics {
  recall: number;
  ndcg: number;
}

/**
 * Picks the lexical channel's sharpness α and weight γ on the validation task (a grid of multiples of the
 * trained values), then leaves the model at the best pair with its profiles rebuilt. Why: training sees profiles
 * of `historySize` sampled items, serving sees up to `servingHistory`, and a fuller profile makes the sparse score
 * more reliable than the loss could learn. The pair maximises Recall@K + NDCG@K, the two metrics the item
 * cold-start protocol reports (recall alone may buy depth with top places). The dense scores do not depend on α
 * or γ, so they are computed once; the sparse ones once per α. Only (1, 1) is kept on a tie.
 */
export async function calibrateLexical(
  model: ColdStartModel,
  task: RankingTask,
  tokensOf: (itemId: number) => ItemTokens | undefined,
  users: readonly number[],
  k: number,
  rebuildProfiles: () => Promise<void>,
): Promise<LexicalCalibration> {
  const lexical = model.lexical;
  if (!lexical) throw new Error('calibrateLexical needs a model with the lexical channel');
  const candidates = [...task.candidates];
  const tokens = candidates.map((id) => tokensOf(id) ?? { modalities: {} });
  const dense = await model.scoreUsers(users, await model.encodeItems(tokens));
  const alpha0 = (await lexical.sharpness.data())[0];
  const gamma0 = await lexical.scale();
  const n = candidates.length;
  const metricsOf = (combined: Float32Array): CalibrationMetrics => {
    const rankings = users.map((u, r) => ({
      ranked: topKIndices(combined.subarray(r * n, (r + 1) * n), k).map((i) => candidates[i]),
      relevant: task.relevant.get(u) ?? new Set<number>(),
    }));
    const m = evaluateRankings(rankings, { ks: [k] });
    return { recall: m[`recall@${k}`], ndcg: m[`ndcg@${k}`] };
  };
  const setAlpha = async (alpha: number) => {
    tf.tidy(() => lexical.sharpness.assign(tf.scalar(alpha)));
    await rebuildProfiles();
  };
  let trainedMetrics: CalibrationMetrics = { recall: Number.NaN, ndcg: Number.NaN };
  let best = { a: 1, g: 1, metrics: trainedMetrics, objective: Number.NEGATIVE_INFINITY };
  for (const a of SHARPNESS_GRID) {
    await setAlpha(alpha0 * a);
    const items = await lexical.itemVectors(tokens);
    const sparse = sparseScores(
      users.map((u) => model.profileOf(u)),
      items,
    );
    for (const g of SCALE_GRID) {
      const combined = new Float32Array(dense.length);
      for (let x = 0; x < combined.length; x++) combined[x] = dense[x] + gamma0 * g * sparse[x];
      const metrics = metricsOf(combined);
      const objective = metrics.recall + metrics.ndcg;
      if (a === 1 && g === 1) trainedMetrics = metrics;
      const keep = objective > best.objective || (objective === best.objective && a === 1 && g === 1);
      if (keep) best = { a, g, metrics, objective };
    }
  }
  tf.tidy(() => lexical.logScale.assign(tf.scalar(Math.log(gamma0 * best.g))));
  await setAlpha(alpha0 * best.a);
  return {
    trained: { sharpness: alpha0, scale: gamma0 },
    chosen: { sharpness: alpha0 * best.a, scale: gamma0 * best.g },
    trainedMetrics,
    chosenMetrics: best.metrics,
  };
}
