import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, InvalidInputError, Rng } from '@tessera/common';
import { hostOpValueAndGrads, type HostOp, type ParamStore } from '@tessera/tensor';
import type { VttwinsTextEncoder } from '../encoders/vttwins-text-encoder';
import type { VttwinsVideoEncoder } from '../encoders/vttwins-video-encoder';
import { milNceLoss } from '../losses/mil-nce.loss';
import { s2dtwPairMatrices, sequenceInfoNceLoss } from '../losses/s2dtw-contrastive.loss';
import { enumerateLocalPermutations, sampleTemporalPermutation } from '../losses/temporal-augmentation';
import { PLAIN_SOFT_DTW_OPTIONS, resolveS2dtwOptions, type S2dtwOptions } from '../s2dtw/s2dtw-options';
import { s2dtwBackwardBatch, s2dtwForwardBatch } from '../s2dtw/s2dtw.kernel';
import type { VttwinsConfig } from './vttwins-config';

/**
 * One training batch: `videos` samples, each a sequence of `clipsPerVideo` (clip frames, caption tokens)
 * pairs, where caption i is only the one spoken during clip i. Frames are laid out video-major, then
 * clip, then the video encoder's (frames, height, width, channels); tokens video, clip, word.
 */
export interface VttwinsBatch {
  videos: number;
  frames: Float32Array | Uint8Array;
  tokens: Int32Array;
}

export interface VttwinsProgress {
  step: number;
  totalSteps: number;
  loss: number;
  /** Estimated milliseconds left, from the mean step time so far. */
  etaMs: number;
}

export interface VttwinsCheckpoint {
  step: number;
  config: ReturnType<VttwinsConfig['toJSON']>;
  /** Copies of every encoder weight, keyed `video.<name>` / `text.<name>`. */
  weights: Record<string, { shape: number[]; values: Float32Array }>;
  /** The encoders' ParamStores (one when they share it), for `saveCheckpoint` of @tessera/tensor. */
  stores: ParamStore[];
  /** The Adam optimiser, whose slots `saveCheckpoint` can save beside the weights. */
  optimizer: tf.Optimizer;
}

export interface VttwinsTrainerHooks {
  onProgress?: (p: VttwinsProgress) => void;
  onCheckpoint?: (c: VttwinsCheckpoint) => void | Promise<void>;
}

/** Trains a video and a text encoder with the configured sequence loss and Adam. */
export class VttwinsTrainer {
  /** Adam; `loadCheckpoint(dir, store, { optimizer })` of @tessera/tensor restores its slots on resume. */
  readonly optimizer: tf.Optimizer;
  private readonly permutations: number[][];
  private stepCount = 0;

  constructor(
    readonly config: VttwinsConfig,
    readonly video: VttwinsVideoEncoder,
    readonly text: VttwinsTextEncoder,
    private readonly hooks: VttwinsTrainerHooks = {},
  ) {
    if (video.config.jointDim !== text.config.jointDim) {
      throw new DimensionMismatchError(
        `video joint dim ${video.config.jointDim} ≠ text joint dim ${text.config.jointDim}`,
      );
    }
    this.optimizer = tf.train.adam(config.learningRate);
    this.permutations = config.temporalAugmentation
      ? enumerateLocalPermutations(config.clipsPerVideo, config.augmentationMaxShift)
      : [];
  }

  get steps(): number {
    return this.stepCount;
  }

  /**
   * Continue counting from `step` (a resumed run: the caller restored weights and optimiser slots).
   * Everything random in a step derives from (seed, step), so the continuation matches an unbroken run.
   */
  resumeAt(step: number): void {
    if (!(Number.isInteger(step) && step >= 0)) throw new InvalidInputError(`cannot resume at step ${step}`);
    this.stepCount = step;
  }

  /**
   * The batch loss without updating (for evaluation and tests), with the permutations the next step would
   * draw. Reads are `await data()`; the S2DTW recursion runs on the host between two device passes.
   */
  async loss(batch: VttwinsBatch): Promise<number> {
    const mats = this.config.temporalAugmentation ? await this.samplePermutations(batch) : undefined;
    const c = this.config;
    let l: tf.Scalar;
    if (c.loss === 'mil-nce') {
      l = tf.tidy(() => {
        const { v, t } = this.embedPair(batch, mats);
        return milNceLoss(v, t, { window: c.milNceWindow, temperature: c.milNceTemperature });
      });
    } else {
      const z = tf.tidy(() => {
        const { v, t } = this.embedPair(batch, mats);
        return s2dtwPairMatrices(v, t);
      });
      let values: Float32Array;
      try {
        values = (await z.data()) as Float32Array;
      } finally {
        z.dispose();
      }
      const sim = s2dtwHostOp(batch.videos, this.s2dtwOptions).forward(values, z.shape);
      l = tf.tidy(() => sequenceInfoNceLoss(tf.tensor2d(sim.output, sim.shape as [number, number])));
    }
    try {
      return (await l.data())[0];
    } finally {
      l.dispose();
    }
  }

  /**
   * One optimisation step on any backend, WebGPU included; returns the loss before the update. Every
   * download is `await data()`: the S2DTW recursion runs on the host between two device passes
   * (hostOpValueAndGrads), and TDA samples its permutations from downloaded embeddings first.
   */
  async stepAsync(batch: VttwinsBatch): Promise<number> {
    const vars = [...this.video.variables, ...this.text.variables];
    const mats = this.config.temporalAugmentation ? await this.samplePermutations(batch) : undefined;
    const c = this.config;
    let value: number;
    let grads: tf.NamedTensorMap;
    if (c.loss === 'mil-nce') {
      const r = tf.tidy(() =>
        tf.variableGrads(() => {
          const { v, t } = this.embedPair(batch, mats);
          return milNceLoss(v, t, { window: c.milNceWindow, temperature: c.milNceTemperature });
        }, vars),
      );
      value = (await r.value.data())[0];
      r.value.dispose();
      grads = r.grads;
    } else {
      const r = await hostOpValueAndGrads(
        () => {
          const { v, t } = this.embedPair(batch, mats);
          return s2dtwPairMatrices(v, t);
        },
        s2dtwHostOp(batch.videos, this.s2dtwOptions),
        (y) => sequenceInfoNceLoss(y as tf.Tensor2D),
        vars,
      );
      value = r.value;
      grads = r.grads;
    }
    this.optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    this.stepCount++;
    return value;
  }

  /**
   * Runs the steps from the current one up to `config.steps` (or `until`, for a deliberate stop) on
   * batches from `nextBatch(step)`, reporting progress and checkpoints; returns the losses of these steps.
   * For an exact resume, `nextBatch` must depend on the step number only, not on earlier calls.
   */
  async train(nextBatch: (step: number) => VttwinsBatch, opts: { until?: number } = {}): Promise<number[]> {
    const total = this.config.steps;
    const end = Math.min(total, opts.until ?? total);
    const first = this.stepCount;
    const losses: number[] = [];
    const started = performance.now();
    for (let s = first; s < end; s++) {
      losses.push(await this.stepAsync(nextBatch(s)));
      const done = s + 1;
      const elapsed = performance.now() - started;
      this.hooks.onProgress?.({
        step: done,
        totalSteps: total,
        loss: losses[losses.length - 1],
        etaMs: (elapsed / (done - first)) * (total - done),
      });
      const every = this.config.checkpointEvery;
      if (this.hooks.onCheckpoint && ((every > 0 && done % every === 0) || done === total)) {
        await this.hooks.onCheckpoint(await this.checkpoint());
      }
    }
    return losses;
  }

  /** The current weights (downloaded with awaited reads, so WebGPU can checkpoint), config and optimiser. */
  async checkpoint(): Promise<VttwinsCheckpoint> {
    const [video, text] = [await this.video.weights.export(), await this.text.weights.export()];
    return {
      step: this.stepCount,
      config: this.config.toJSON(),
      weights: { ...video, ...text },
      stores: [...new Set([this.video.weights.store, this.text.weights.store])],
      optimizer: this.optimizer,
    };
  }

  /** Disposes the optimiser slots (the encoders belong to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }

  /** S2DTW settings of the configured loss ('s2dtw', or plain soft-DTW). */
  private get s2dtwOptions(): S2dtwOptions {
    const c = this.config;
    return resolveS2dtwOptions(
      c.loss === 's2dtw'
        ? { gamma: c.gamma, gammaLocal: c.gammaLocal, delta: c.delta }
        : { ...PLAIN_SOFT_DTW_OPTIONS, gamma: c.gamma },
    );
  }

  /** One permutation matrix per sequence of x (b, n, d), drawn from `rng` in sequence order. */
  private permutationMatrices(values: ArrayLike<number>, shape: number[], rng: Rng): Float32Array {
    const [b, n, d] = shape as [number, number, number];
    const mats = new Float32Array(b * n * n);
    for (let s = 0; s < b; s++) {
      const seq = Float32Array.from({ length: n * d }, (_, k) => values[s * n * d + k]);
      const p = sampleTemporalPermutation(seq, n, d, rng, this.permutations);
      for (let i = 0; i < n; i++) mats[s * n * n + i * n + p[i]] = 1;
    }
    return mats;
  }

  /** The TDA permutations of this step (video, then text), seeded by (seed, step), from downloaded embeddings. */
  private async samplePermutations(batch: VttwinsBatch): Promise<{ video: Float32Array; text: Float32Array }> {
    const { v, t } = tf.tidy(() => this.embedPair(batch));
    try {
      const [vv, tv] = await Promise.all([v.data(), t.data()]);
      const rng = new Rng((Math.imul(this.config.seed + 1, 0x9e3779b1) ^ this.stepCount) >>> 0);
      return { video: this.permutationMatrices(vv, v.shape, rng), text: this.permutationMatrices(tv, t.shape, rng) };
    } finally {
      tf.dispose([v, t]);
    }
  }

  /** Video and text embeddings (b, n, d) of a batch, reordered by `mats` when given. */
  private embedPair(
    batch: VttwinsBatch,
    mats?: { video: Float32Array; text: Float32Array },
  ): { v: tf.Tensor; t: tf.Tensor } {
    const n = this.config.clipsPerVideo;
    const b = batch.videos;
    const count = b * n;
    const words = this.text.config.maxWords;
    if (batch.tokens.length !== count * words) {
      throw new DimensionMismatchError(`batch has ${batch.tokens.length} tokens, expected ${b}×${n}×${words}`);
    }
    const d = this.video.config.jointDim;
    let v: tf.Tensor = tf.reshape(this.video.encode(batch.frames, count), [b, n, d]);
    let t: tf.Tensor = tf.reshape(this.text.encode(batch.tokens, count), [b, n, d]);
    if (mats) {
      v = tf.matMul(tf.tensor3d(mats.video, [b, n, n]), v);
      t = tf.matMul(tf.tensor3d(mats.text, [b, n, n]), t);
    }
    return { v, t };
  }
}

/** S2DTW over the b² pair matrices on the host, with its exact backward, for hostOpValueAndGrads. */
function s2dtwHostOp(b: number, o: S2dtwOptions): HostOp {
  return {
    forward(z, shape) {
      const [pairs, n, m] = shape as [number, number, number];
      const { similarity, state } = s2dtwForwardBatch(z, pairs, n, m, o);
      return { output: Float32Array.from(similarity), shape: [b, b], backward: (dy) => s2dtwBackwardBatch(state, dy) };
    },
  };
}
