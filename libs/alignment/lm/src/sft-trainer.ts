import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import {
  TrainingDivergedError,
  clipByGlobalNormAsync,
  tokenLogProbs,
  type EncodedCompletions,
  type PromptCompletion,
} from '@tessera/alignment/preference';

import { parseSftConfig, type SftConfig, type SftConfigInput } from './sft.config';
import type { TransformerLm } from './transformer-lm';

export interface SftProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  gradNorm: number;
}

export interface SftResult {
  steps: number;
  losses: number[];
  truncatedPrompts: number;
  truncatedCompletions: number;
}

/** Supervised fine-tuning: mean negative log-likelihood of completion tokens (prompt tokens are context only). */
export class SftTrainer {
  readonly config: SftConfig;
  /** Its state is checkpointed with the model (saveLmCheckpoint's `optimizer`) and put back by restoreLmOptimizer. */
  readonly optimizer: tf.AdamOptimizer;

  constructor(
    private readonly model: TransformerLm,
    config: SftConfigInput = {},
  ) {
    this.config = parseSftConfig(config);
    this.optimizer = tf.train.adam(this.config.learningRate);
  }

  /** Completion-token NLL of one batch (a scalar tensor, differentiable). */
  async batchLoss(
    rows: readonly PromptCompletion[],
  ): Promise<{ loss: tf.Scalar; truncatedPrompts: number; truncatedCompletions: number }> {
    const enc = await this.model.encodeCompletions(rows);
    try {
      return this.encodedLoss(enc);
    } finally {
      tf.dispose([enc.inputIds, enc.labels]);
    }
  }

  private encodedLoss(enc: EncodedCompletions): {
    loss: tf.Scalar;
    truncatedPrompts: number;
    truncatedCompletions: number;
  } {
    const loss = tf.tidy(() => {
      const tok = tokenLogProbs(this.model.logits(enc.inputIds), enc.labels);
      const count = tf.sum(tf.cast(tf.notEqual(tf.slice(enc.labels, [0, 1], [-1, -1]), -100), 'float32'));
      return tf.div(tf.neg(tf.sum(tok)), tf.maximum(count, 1)) as tf.Scalar;
    });
    return {
      loss,
      truncatedPrompts: enc.truncatedPrompts.length,
      truncatedCompletions: enc.truncatedCompletions.length,
    };
  }

  /** One optimiser step; a non-finite loss or gradient throws before any weight changes. */
  async step(
    rows: readonly PromptCompletion[],
    stepIndex = 0,
  ): Promise<{ loss: number; gradNorm: number; truncatedPrompts: number; truncatedCompletions: number }> {
    const enc = await this.model.encodeCompletions(rows);
    const trunc = {
      truncatedPrompts: enc.truncatedPrompts.length,
      truncatedCompletions: enc.truncatedCompletions.length,
    };
    const vars = this.model.trainableVariables();
    const { value, grads } = this.optimizer.computeGradients(() => this.encodedLoss(enc).loss, vars);
    tf.dispose([enc.inputIds, enc.labels]);
    const loss = (await value.data())[0];
    value.dispose();
    const clipped = await clipByGlobalNormAsync(grads, this.config.clipNorm);
    if (!Number.isFinite(loss) || !Number.isFinite(clipped.norm)) {
      tf.dispose(Object.values(clipped.grads));
      throw new TrainingDivergedError(
        `SFT loss became non-finite at step ${stepIndex} (loss ${loss}, grad norm ${clipped.norm}); weights kept from the previous step`,
        { step: stepIndex, loss },
      );
    }
    this.optimizer.applyGradients(Object.entries(clipped.grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose(Object.values(clipped.grads));
    return {
      loss,
      gradNorm: clipped.norm,
      truncatedPrompts: trunc.truncatedPrompts,
      truncatedCompletions: trunc.truncatedCompletions,
    };
  }

  async train(
    rows: readonly PromptCompletion[],
    options: { onProgress?: (p: SftProgress) => void } = {},
  ): Promise<SftResult> {
    if (rows.length === 0) throw new InvalidInputError('SFT needs at least one row');
    const { epochs, batchSize, maxSteps, seed } = this.config;
    const perEpoch = Math.ceil(rows.length / batchSize);
    const totalSteps = Math.min(perEpoch * epochs, maxSteps ?? Infinity);
    const rng = new Rng(seed);
    const result: SftResult = { steps: 0, losses: [], truncatedPrompts: 0, truncatedCompletions: 0 };
    for (let epoch = 0; epoch < epochs && result.steps < totalSteps; epoch++) {
      const order = rng.shuffle(rows.map((_, i) => i));
      for (let b = 0; b < perEpoch && result.steps < totalSteps; b++) {
        const batch = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => rows[i]);
        const s = await this.step(batch, result.steps);
        result.steps++;
        result.losses.push(s.loss);
        result.truncatedPrompts += s.truncatedPrompts;
        result.truncatedCompletions += s.truncatedCompletions;
        options.onProgress?.({ step: result.steps, totalSteps, epoch, loss: s.loss, gradNorm: s.gradNorm });
        await new Promise((r) => setImmediate(r));
      }
    }
    return result;
  }

  /** Mean completion-token NLL over rows (no update). */
  async evaluate(rows: readonly PromptCompletion[], batchSize = this.config.batchSize): Promise<number> {
    let total = 0;
    let n = 0;
    for (let i = 0; i < rows.length; i += batchSize) {
      const batch = rows.slice(i, i + batchSize);
      const enc = await this.model.encodeCompletions(batch);
      const { loss } = this.encodedLoss(enc);
      tf.dispose([enc.inputIds, enc.labels]);
      total += (await loss.data())[0] * batch.length;
      n += batch.length;
      loss.dispose();
    }
    return total / n;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
