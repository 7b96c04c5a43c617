import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError, Rng } from '@tessera/common';
import type { ParamStore } from '@tessera/tensor';
import type { VttwinsTextEncoder } from '../encoders/vttwins-text-encoder';
import type { VttwinsVideoEncoder } from '../encoders/vttwins-video-encoder';
import { milNceLoss } from '../losses/mil-nce.loss';
import { s2dtwContrastiveLoss } from '../losses/s2dtw-contrastive.loss';
import { enumerateLocalPermutations, sampleTemporalPermutation } from '../losses/temporal-augmentation';
import { PLAIN_SOFT_DTW_OPTIONS } from '../s2dtw/s2dtw-options';
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
  private readonly optimizer: tf.Optimizer;
  private readonly rng: Rng;
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
    this.rng = new Rng(config.seed);
    this.permutations = config.temporalAugmentation
      ? enumerateLocalPermutations(config.clipsPerVideo, config.augmentationMaxShift)
      : [];
  }

  get steps(): number {
    return this.stepCount;
  }

  /** The batch loss without updating (for evaluation and tests). */
  loss(batch: VttwinsBatch): number {
    const l = tf.tidy(() => this.lossTensor(batch));
    const value = l.dataSync()[0];
    l.dispose();
    return value;
  }

  /** One optimisation step; returns the loss before the update. */
  step(batch: VttwinsBatch): number {
    const vars = [...this.video.variables, ...this.text.variables];
    const cost = this.optimizer.minimize(() => this.lossTensor(batch), true, vars);
    const value = cost ? cost.dataSync()[0] : Number.NaN;
    cost?.dispose();
    this.stepCount++;
    return value;
  }

  /** Runs `config.steps` steps on batches from `nextBatch(step)`, reporting progress and checkpoints. */
  async train(nextBatch: (step: number) => VttwinsBatch): Promise<number[]> {
    const total = this.config.steps;
    const losses: number[] = [];
    const started = performance.now();
    for (let s = 0; s < total; s++) {
      losses.push(this.step(nextBatch(s)));
      const done = s + 1;
      const elapsed = performance.now() - started;
      this.hooks.onProgress?.({
        step: done,
        totalSteps: total,
        loss: losses[s],
        etaMs: (elapsed / done) * (total - done),
      });
      const every = this.config.checkpointEvery;
      if (this.hooks.onCheckpoint && ((every > 0 && done % every === 0) || done === total)) {
        await this.hooks.onCheckpoint(this.checkpoint());
      }
    }
    return losses;
  }

  checkpoint(): VttwinsCheckpoint {
    return {
      step: this.stepCount,
      config: this.config.toJSON(),
      weights: { ...this.video.weights.export(), ...this.text.weights.export() },
      stores: [...new Set([this.video.weights.store, this.text.weights.store])],
      optimizer: this.optimizer,
    };
  }

  /** Disposes the optimiser slots (the encoders belong to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }

  private lossTensor(batch: VttwinsBatch): tf.Scalar {
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
    if (this.config.temporalAugmentation) {
      v = this.permute(v);
      t = this.permute(t);
    }
    const c = this.config;
    switch (c.loss) {
      case 's2dtw':
        return s2dtwContrastiveLoss(v, t, { gamma: c.gamma, gammaLocal: c.gammaLocal, delta: c.delta });
      case 'soft-dtw':
        return s2dtwContrastiveLoss(v, t, { ...PLAIN_SOFT_DTW_OPTIONS, gamma: c.gamma });
      case 'mil-nce':
        return milNceLoss(v, t, { window: c.milNceWindow, temperature: c.milNceTemperature });
    }
  }

  /** TDA: reorder each sequence by a permutation sampled from its detached self-similarity. */
  private permute(x: tf.Tensor): tf.Tensor {
    const [b, n, d] = x.shape as [number, number, number];
    const values = x.dataSync();
    const mats = new Float32Array(b * n * n);
    for (let s = 0; s < b; s++) {
      const p = sampleTemporalPermutation(
        values.subarray(s * n * d, (s + 1) * n * d),
        n,
        d,
        this.rng,
        this.permutations,
      );
      for (let i = 0; i < n; i++) mats[s * n * n + i * n + p[i]] = 1;
    }
    return tf.matMul(tf.tensor3d(mats, [b, n, n]), x);
  }
}
