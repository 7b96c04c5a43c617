import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import type { CausalLmPolicy, EncodedCompletions, PromptCompletion } from '../causal-lm-policy.port';
import { clipByGlobalNormAsync } from '../clip-gradients';
import type { BinaryFeedback, PreferencePair } from '../records/preference-example.types';
import { unpairPreferences } from '../records/unpair-preferences';
import { DensityRatioEstimator } from '../density-ratio-estimator';
import { bcoLoss } from '../losses/bco.loss';
import { ktoImbalanceWarning, ktoLoss, ktoReferencePoint, mismatchCompletions } from '../losses/kto.loss';
import { pairedLosses } from '../losses/preference-losses';
import { RunningMean } from '../running-mean';
import { sequenceLogProb } from '../sequence-log-prob';
import { TrainingDivergedError } from '../training-diverged.error';
import type { BcoConfig } from './bco.config';
import type { DpoConfig } from './dpo.config';
import type { KtoConfig } from './kto.config';

export type PreferenceConfig = DpoConfig | KtoConfig | BcoConfig;

/** Embeds prompts for UDM (one vector per prompt); the platform's embedding service or a test stub. */
export type PromptEmbedder = (prompts: string[]) => Promise<ArrayLike<number>[]> | ArrayLike<number>[];

/** State saved beside the policy weights: the BCO running mean and the UDM classifier. */
export interface PreferenceTrainerState {
  algorithm: PreferenceConfig['algorithm'];
  step: number;
  runningMean?: { mean: number; count: number };
  densityRatio?: ReturnType<DensityRatioEstimator['toJSON']>;
}

export interface PreferenceStepMetrics {
  step: number;
  loss: number;
  gradNorm: number;
  /** Mean implicit reward of desirable / chosen rows and of undesirable / rejected rows. */
  rewardChosen: number;
  rewardRejected: number;
  /** Paired only: fraction of pairs with r_w > r_l in this batch. */
  accuracy?: number;
  /** BCO: the δ used this step. KTO: the z0 used. */
  delta?: number;
  z0?: number;
  truncatedPrompts: number;
  truncatedCompletions: number;
}

export interface PreferenceProgress extends PreferenceStepMetrics {
  totalSteps: number;
  epoch: number;
}

export interface PreferenceTrainResult {
  steps: number;
  history: PreferenceStepMetrics[];
  truncatedPrompts: number;
  truncatedCompletions: number;
  lastCheckpoint?: string;
  warnings: string[];
}

export interface PreferenceTrainerOptions {
  policy: CausalLmPolicy;
  /** The frozen reference (usually a copy of the SFT policy); never updated. */
  reference: CausalLmPolicy;
  config: PreferenceConfig;
  /** Needed when `config.udm.enabled` (BCO). */
  promptEmbedder?: PromptEmbedder;
  /** Saves the policy and `state`; returns where. Called every `checkpointEvery` steps and at the end. */
  saveCheckpoint?: (step: number, state: PreferenceTrainerState) => Promise<string>;
  /** Receives each warning once (truncation, KTO imbalance); they are also returned in the result. */
  onWarning?: (message: string) => void;
}

/**
 * Runs DPO (paired), KTO or BCO (unpaired) against a frozen reference. Each step computes the reference
 * log-probs outside the gradient, the policy log-probs inside it, then the configured pure loss. A
 * non-finite loss or gradient stops training with `TrainingDivergedError` before the update is applied.
 */
export class PreferenceTrainer {
  readonly config: PreferenceConfig;
  private readonly policy: CausalLmPolicy;
  private readonly reference: CausalLmPolicy;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly runningMean = new RunningMean();
  private densityRatio?: DensityRatioEstimator;
  private readonly embeddingCache = new Map<string, ArrayLike<number>>();
  private stepCount = 0;
  private lastCheckpoint?: string;
  private readonly warnings: string[] = [];

  constructor(private readonly options: PreferenceTrainerOptions) {
    const { policy, reference, config } = options;
    if (policy.tokenizerFingerprint !== reference.tokenizerFingerprint) {
      throw new InvalidInputError(
        `reference tokenizer (${reference.tokenizerFingerprint}) differs from the policy tokenizer (${policy.tokenizerFingerprint}); ` +
          'log-ratios are only meaningful over the same tokens',
      );
    }
    if (policy === reference)
      throw new InvalidInputError('the reference must be a separate, frozen model, not the policy itself');
    if (config.algorithm === 'bco' && config.udm.enabled && !options.promptEmbedder) {
      throw new InvalidInputError('BCO with UDM needs a promptEmbedder');
    }
    this.config = config;
    this.policy = policy;
    this.reference = reference;
    this.optimizer = tf.train.adam(config.learningRate);
  }

  get step(): number {
    return this.stepCount;
  }

  state(): PreferenceTrainerState {
    return {
      algorithm: this.config.algorithm,
      step: this.stepCount,
      ...(this.config.algorithm === 'bco' ? { runningMean: this.runningMean.toJSON() } : {}),
      ...(this.densityRatio ? { densityRatio: this.densityRatio.toJSON() } : {}),
    };
  }

  /** Restores the BCO running mean and UDM classifier saved by `state()` (e.g. when resuming). */
  restoreState(state: PreferenceTrainerState): void {
    if (state.runningMean) Object.assign(this, { runningMean: RunningMean.fromJSON(state.runningMean) });
    if (state.densityRatio) this.densityRatio = DensityRatioEstimator.fromJSON(state.densityRatio);
    this.stepCount = state.step;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.options.onWarning?.(message);
  }

  /**
   * UDM: fits the prompt classifier once, on desirable vs undesirable prompts. Called by `train`
   * when enabled; calling it again is the explicit refit.
   */
  async fitDensityRatio(rows: readonly BinaryFeedback[]): Promise<DensityRatioEstimator> {
    const c = this.config;
    if (c.algorithm !== 'bco' || !this.options.promptEmbedder)
      throw new InvalidInputError('UDM is a BCO option and needs a promptEmbedder');
    await this.embedPrompts(rows.map((r) => r.prompt));
    const pos = rows.filter((r) => r.label).map((r) => this.embeddingCache.get(r.prompt)!);
    const neg = rows.filter((r) => !r.label).map((r) => this.embeddingCache.get(r.prompt)!);
    this.densityRatio = DensityRatioEstimator.fit(pos, neg, {
      promptSampleSize: c.udm.promptSampleSize,
      minDensityRatio: c.udm.minDensityRatio,
      maxDensityRatio: c.udm.maxDensityRatio,
      seed: c.seed,
    });
    return this.densityRatio;
  }

  private async embedPrompts(prompts: string[]): Promise<void> {
    const missing = [...new Set(prompts)].filter((p) => !this.embeddingCache.has(p));
    if (missing.length === 0) return;
    const vectors = await this.options.promptEmbedder!(missing);
    if (vectors.length !== missing.length)
      throw new InvalidInputError(`prompt embedder returned ${vectors.length} vectors for ${missing.length} prompts`);
    missing.forEach((p, i) => this.embeddingCache.set(p, vectors[i]));
  }

  async train(
    data: readonly PreferencePair[] | readonly BinaryFeedback[],
    options: { onProgress?: (p: PreferenceProgress) => void } = {},
  ): Promise<PreferenceTrainResult> {
    if (data.length === 0) throw new InvalidInputError('preference training needs at least one row');
    const paired = 'chosen' in data[0];
    const c = this.config;
    if (c.algorithm === 'dpo' && !paired)
      throw new InvalidInputError('DPO needs paired (prompt, chosen, rejected) rows');
    const rows: readonly (PreferencePair | BinaryFeedback)[] =
      c.algorithm !== 'dpo' && paired ? unpairPreferences(data as PreferencePair[]) : data;
    if (c.algorithm === 'kto') {
      const nD = (rows as BinaryFeedback[]).filter((r) => r.label).length;
      const w = ktoImbalanceWarning(nD, rows.length - nD, c.desirableWeight, c.undesirableWeight);
      if (w) this.warn(w);
    }
    if (c.algorithm === 'bco' && c.udm.enabled && !this.densityRatio)
      await this.fitDensityRatio(rows as BinaryFeedback[]);

    const perEpoch = Math.ceil(rows.length / c.batchSize);
    const totalSteps = Math.min(perEpoch * c.epochs, c.maxSteps ?? Infinity);
    const rng = new Rng(c.seed);
    const result: PreferenceTrainResult = {
      steps: 0,
      history: [],
      truncatedPrompts: 0,
      truncatedCompletions: 0,
      warnings: this.warnings,
    };
    for (let epoch = 0; epoch < c.epochs && result.steps < totalSteps; epoch++) {
      const order = rng.shuffle(rows.map((_, i) => i));
      for (let b = 0; b < perEpoch && result.steps < totalSteps; b++) {
        const batch = order.slice(b * c.batchSize, (b + 1) * c.batchSize).map((i) => rows[i]);
        const m =
          c.algorithm === 'dpo'
            ? await this.stepPaired(batch as PreferencePair[])
            : await this.stepUnpaired(batch as BinaryFeedback[]);
        result.steps++;
        result.history.push(m);
        result.truncatedPrompts += m.truncatedPrompts;
        result.truncatedCompletions += m.truncatedCompletions;
        options.onProgress?.({ ...m, totalSteps, epoch });
        if (this.options.saveCheckpoint && c.checkpointEvery > 0 && this.stepCount % c.checkpointEvery === 0) {
          this.lastCheckpoint = await this.options.saveCheckpoint(this.stepCount, this.state());
        }
        await new Promise((r) => setImmediate(r));
      }
    }
    if (result.truncatedPrompts > 0 || result.truncatedCompletions > 0) {
      this.warn(
        `${result.truncatedPrompts} prompt(s) were cut from the left and ${result.truncatedCompletions} completion(s) cut at the end to fit the context`,
      );
    }
    if (this.options.saveCheckpoint)
      this.lastCheckpoint = await this.options.saveCheckpoint(this.stepCount, this.state());
    result.lastCheckpoint = this.lastCheckpoint;
    return result;
  }

  private get logProbOptions(): { average: boolean } {
    return { average: this.config.averageLogProbs };
  }

  private referenceLogProbs(enc: EncodedCompletions): tf.Tensor1D {
    return tf.tidy(() => sequenceLogProb(this.reference.logits(enc.inputIds), enc.labels, this.logProbOptions));
  }

  /**
   * Applies gradients only when loss and gradient norm are finite; otherwise throws with the last good checkpoint.
   * Every read is an `await data()`, so a step runs on backends without synchronous downloads (WebGPU).
   */
  private async optimise(lossFn: () => tf.Scalar): Promise<{ loss: number; gradNorm: number }> {
    const { value, grads } = this.optimizer.computeGradients(lossFn, this.policy.trainableVariables());
    let loss: number;
    try {
      loss = (await value.data())[0];
    } catch (e) {
      tf.dispose(Object.values(grads));
      throw e;
    } finally {
      value.dispose();
    }
    const clipped = await clipByGlobalNormAsync(grads, this.config.clipNorm);
    if (!Number.isFinite(loss) || !Number.isFinite(clipped.norm)) {
      tf.dispose(Object.values(clipped.grads));
      throw new TrainingDivergedError(
        `${this.config.algorithm.toUpperCase()} loss became non-finite at step ${this.stepCount + 1} (loss ${loss}, grad norm ${clipped.norm}); ` +
          `the update was not applied${this.lastCheckpoint ? `; last good checkpoint: ${this.lastCheckpoint}` : ''}`,
        { step: this.stepCount + 1, loss, lastGoodCheckpoint: this.lastCheckpoint },
      );
    }
    this.optimizer.applyGradients(Object.entries(clipped.grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose(Object.values(clipped.grads));
    this.stepCount++;
    return { loss, gradNorm: clipped.norm };
  }

  /** One DPO step on pairs. */
  async stepPaired(pairs: readonly PreferencePair[]): Promise<PreferenceStepMetrics> {
    const c = this.config;
    if (c.algorithm !== 'dpo') throw new InvalidInputError(`${c.algorithm} trains on unpaired rows`);
    const n = pairs.length;
    const rows: PromptCompletion[] = [
      ...pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
      ...pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })),
    ];
    const enc = await this.policy.encodeCompletions(rows);
    const ref = this.referenceLogProbs(enc);
    let kept: tf.Tensor1D | undefined;
    try {
      const lossFn = pairedLosses[c.loss];
      const { loss, gradNorm } = await this.optimise(() => {
        const lp = sequenceLogProb(this.policy.logits(enc.inputIds), enc.labels, this.logProbOptions);
        kept = tf.keep(lp.clone());
        const out = lossFn(
          {
            policyChosen: tf.slice(lp, 0, n),
            policyRejected: tf.slice(lp, n, n),
            referenceChosen: tf.slice(ref, 0, n),
            referenceRejected: tf.slice(ref, n, n),
          },
          { beta: c.beta, ...(c.loss === 'dpo-sigmoid' ? { labelSmoothing: c.labelSmoothing } : {}) },
        );
        return out.loss;
      });
      const p = await kept!.data();
      const r = await ref.data();
      let sw = 0;
      let sl = 0;
      let wins = 0;
      for (let i = 0; i < n; i++) {
        const rw = c.beta * (p[i] - r[i]);
        const rl = c.beta * (p[n + i] - r[n + i]);
        sw += rw;
        sl += rl;
        if (rw > rl) wins++;
      }
      return {
        step: this.stepCount,
        loss,
        gradNorm,
        rewardChosen: sw / n,
        rewardRejected: sl / n,
        accuracy: wins / n,
        truncatedPrompts: new Set(enc.truncatedPrompts.map((i) => i % n)).size,
        truncatedCompletions: enc.truncatedCompletions.length,
      };
    } finally {
      tf.dispose([enc.inputIds, enc.labels, ref, ...(kept ? [kept] : [])]);
    }
  }

  /** One KTO or BCO step on thumbs rows. */
  async stepUnpaired(rows: readonly BinaryFeedback[]): Promise<PreferenceStepMetrics> {
    const c = this.config;
    if (c.algorithm === 'dpo') throw new InvalidInputError('DPO trains on pairs');
    const enc = await this.policy.encodeCompletions(rows);
    const ref = this.referenceLogProbs(enc);
    const labels = tf.tensor1d(
      rows.map((r) => (r.label ? 1 : 0)),
      'float32',
    );
    let kept: tf.Tensor1D | undefined;
    let z0: number | undefined;
    let delta: number | undefined;
    let udm: tf.Tensor1D | undefined;
    const meanBefore = this.runningMean.toJSON();
    try {
      if (c.algorithm === 'kto') {
        // z0 from prompts paired with the previous row's completion, under both models, no gradient.
        const mism = await this.policy.encodeCompletions(mismatchCompletions(rows));
        const [lp, lr] = [
          tf.tidy(() => sequenceLogProb(this.policy.logits(mism.inputIds), mism.labels, this.logProbOptions)),
          this.referenceLogProbs(mism),
        ];
        try {
          z0 = await ktoReferencePoint(lp, lr);
        } finally {
          tf.dispose([lp, lr, mism.inputIds, mism.labels]);
        }
      }
      if (c.algorithm === 'bco' && this.densityRatio) {
        await this.embedPrompts(rows.map((r) => r.prompt));
        udm = tf.tensor1d(
          this.densityRatio.rowWeights(
            rows.map((r) => this.embeddingCache.get(r.prompt)!),
            rows.map((r) => r.label),
          ),
        );
      }
      if (c.algorithm === 'bco') {
        if (!c.rewardShift) delta = 0;
        else if (c.deltaUpdate === 'beforeUse') {
          // δ is a constant of the loss, so it is read before the taped pass: one extra forward, no sync read.
          const shifted = tf.tidy(() =>
            tf.mul(
              c.beta,
              tf.sub(sequenceLogProb(this.policy.logits(enc.inputIds), enc.labels, this.logProbOptions), ref),
            ),
          );
          try {
            delta = this.runningMean.update(await shifted.data());
          } finally {
            shifted.dispose();
          }
        } else delta = this.runningMean.mean;
      }
      const { loss, gradNorm } = await this.optimise(() => {
        const lp = sequenceLogProb(this.policy.logits(enc.inputIds), enc.labels, this.logProbOptions);
        kept = tf.keep(lp.clone());
        const batch = { policy: lp, reference: ref, labels };
        if (c.algorithm === 'kto') {
          return ktoLoss(batch, {
            beta: c.beta,
            z0: z0!,
            desirableWeight: c.desirableWeight,
            undesirableWeight: c.undesirableWeight,
          }).loss;
        }
        return bcoLoss(batch, { beta: c.beta, delta: delta!, udmWeights: udm }).loss;
      });
      const p = await kept!.data();
      const r = await ref.data();
      const rewards = Array.from(p, (x, i) => c.beta * (x - r[i]));
      if (c.algorithm === 'bco' && c.rewardShift && c.deltaUpdate === 'afterUse') this.runningMean.update(rewards);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
      return {
        step: this.stepCount,
        loss,
        gradNorm,
        rewardChosen: mean(rewards.filter((_, i) => rows[i].label)),
        rewardRejected: mean(rewards.filter((_, i) => !rows[i].label)),
        ...(z0 !== undefined ? { z0 } : {}),
        ...(delta !== undefined ? { delta } : {}),
        truncatedPrompts: enc.truncatedPrompts.length,
        truncatedCompletions: enc.truncatedCompletions.length,
      };
    } catch (e) {
      // A failed step must not move δ either.
      Object.assign(this, { runningMean: new RunningMean(meanBefore) });
      throw e;
    } finally {
      tf.dispose([enc.inputIds, enc.labels, ref, labels, ...(kept ? [kept] : []), ...(udm ? [udm] : [])]);
    }
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
