import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { clipByGlobalNormAsync } from '../clip-gradients';
import type { PreferencePair } from '../records/preference-example.types';
import { TrainingDivergedError } from '../training-diverged.error';
import type { BradleyTerryRewardModel } from './bradley-terry-reward-model';
import { bradleyTerryLoss } from './bradley-terry.loss';
import { parseRewardModelConfig, type RewardModelConfig, type RewardModelConfigInput } from './reward-model.config';

export interface RewardModelProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  /** Share of this batch's pairs ranked correctly. */
  accuracy: number;
  gradNorm: number;
}

export interface RewardModelTrainResult {
  steps: number;
  losses: number[];
  truncatedPrompts: number;
  truncatedCompletions: number;
}

export interface RewardModelEvaluation {
  /** Share of pairs with r_w > r_l; an exact tie counts one half. */
  accuracy: number;
  /** Mean r_w − r_l. */
  margin: number;
  /** Mean −log σ(r_w − r_l). */
  loss: number;
  count: number;
}

/** Trains a Bradley–Terry reward model (head and backbone) on preference pairs with Adam and global-norm clipping. */
export class RewardModelTrainer {
  readonly config: RewardModelConfig;
  private readonly optimizer: tf.AdamOptimizer;

  constructor(
    private readonly model: BradleyTerryRewardModel,
    config: RewardModelConfigInput = {},
  ) {
    this.config = parseRewardModelConfig(config);
    this.optimizer = tf.train.adam(this.config.learningRate);
  }

  /** One optimiser step on a batch of pairs; a non-finite loss or gradient throws before any weight changes. */
  async step(
    pairs: readonly PreferencePair[],
    stepIndex = 0,
  ): Promise<{
    loss: number;
    accuracy: number;
    gradNorm: number;
    truncatedPrompts: number;
    truncatedCompletions: number;
  }> {
    if (pairs.length === 0) throw new InvalidInputError('reward model step needs at least one pair');
    const n = pairs.length;
    const enc = await this.model.backbone.encodeCompletions([
      ...pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
      ...pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
    ]);
    // Every read is an `await data()` (labels before the taped pass, margins after), so a step runs on WebGPU too.
    let labels: ArrayLike<number>;
    try {
      labels = await enc.labels.data();
    } catch (e) {
      tf.dispose([enc.inputIds, enc.labels]);
      throw e;
    }
    let margins: tf.Tensor1D | undefined;
    const { value, grads } = this.optimizer.computeGradients(() => {
      const r = this.model.rewards(enc.inputIds, labels);
      const rw = tf.slice(r, [0], [n]) as tf.Tensor1D;
      const rl = tf.slice(r, [n], [n]) as tf.Tensor1D;
      margins = tf.keep(tf.sub(rw, rl));
      return bradleyTerryLoss(rw, rl).loss;
    }, this.model.trainableVariables());
    tf.dispose([enc.inputIds, enc.labels]);
    let loss: number;
    let correct = 0;
    try {
      loss = (await value.data())[0];
      for (const d of await margins!.data()) correct += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    } catch (e) {
      tf.dispose(Object.values(grads));
      throw e;
    } finally {
      tf.dispose([value, ...(margins ? [margins] : [])]);
    }
    const clipped = await clipByGlobalNormAsync(grads, this.config.clipNorm);
    if (!Number.isFinite(loss) || !Number.isFinite(clipped.norm)) {
      tf.dispose(Object.values(clipped.grads));
      throw new TrainingDivergedError(
        `reward model loss became non-finite at step ${stepIndex} (loss ${loss}, grad norm ${clipped.norm}); weights kept from the previous step`,
        { step: stepIndex, loss },
      );
    }
    this.optimizer.applyGradients(Object.entries(clipped.grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose(Object.values(clipped.grads));
    return {
      loss,
      accuracy: correct / n,
      gradNorm: clipped.norm,
      truncatedPrompts: enc.truncatedPrompts.length,
      truncatedCompletions: enc.truncatedCompletions.length,
    };
  }

  async train(
    pairs: readonly PreferencePair[],
    options: { onProgress?: (p: RewardModelProgress) => void } = {},
  ): Promise<RewardModelTrainResult> {
    if (pairs.length === 0) throw new InvalidInputError('reward model training needs at least one pair');
    const { epochs, batchSize, maxSteps, seed } = this.config;
    const perEpoch = Math.ceil(pairs.length / batchSize);
    const totalSteps = Math.min(perEpoch * epochs, maxSteps ?? Infinity);
    const rng = new Rng(seed);
    const result: RewardModelTrainResult = { steps: 0, losses: [], truncatedPrompts: 0, truncatedCompletions: 0 };
    for (let epoch = 0; result.steps < totalSteps; epoch++) {
      const order = rng.shuffle(pairs.map((_, i) => i));
      for (let b = 0; b < perEpoch && result.steps < totalSteps; b++) {
        const batch = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => pairs[i]);
        const s = await this.step(batch, result.steps);
        result.steps++;
        result.losses.push(s.loss);
        result.truncatedPrompts += s.truncatedPrompts;
        result.truncatedCompletions += s.truncatedCompletions;
        options.onProgress?.({ step: result.steps, totalSteps, epoch, ...s });
        await new Promise((r) => setImmediate(r));
      }
    }
    return result;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Pairwise accuracy, margin and BT loss of a reward model on pairs (no update). */
export async function evaluateRewardModel(
  model: BradleyTerryRewardModel,
  pairs: readonly PreferencePair[],
  batchSize = 32,
): Promise<RewardModelEvaluation> {
  if (pairs.length === 0) throw new InvalidInputError('no pairs to evaluate');
  const chosen = await model.score(
    pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
    batchSize,
  );
  const rejected = await model.score(
    pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
    batchSize,
  );
  let correct = 0;
  let margin = 0;
  let loss = 0;
  for (let i = 0; i < pairs.length; i++) {
    const d = chosen[i] - rejected[i];
    correct += d > 0 ? 1 : d === 0 ? 0.5 : 0;
    margin += d;
    // −log σ(d) = softplus(−d), stable for large |d|.
    loss += d > 0 ? Math.log1p(Math.exp(-d)) : -d + Math.log1p(Math.exp(d));
  }
  const n = pairs.length;
  return { accuracy: correct / n, margin: margin / n, loss: loss / n, count: n };
}
