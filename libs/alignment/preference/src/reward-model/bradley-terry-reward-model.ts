import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import type { PromptCompletion } from '../causal-lm-policy.port';
import { poolingWeights, pooledReward, type RewardPooling } from './pooled-reward';
import type { SequenceBackbone } from './sequence-backbone.port';

/**
 * A scalar reward r(x, y) on top of a transformer backbone: a linear head (d → 1) on the pooled final hidden
 * states of the completion (see `poolingWeights`). The backbone is trained with the head; the caller owns the
 * backbone and disposes it, this class owns the head.
 */
export class BradleyTerryRewardModel {
  readonly headWeight: tf.Variable;
  readonly headBias: tf.Variable;

  constructor(
    readonly backbone: SequenceBackbone,
    readonly options: { pooling?: RewardPooling; seed?: number } = {},
  ) {
    const d = backbone.hiddenSize;
    if (!(d > 0)) throw new InvalidInputError(`backbone hidden size must be positive, got ${d}`);
    // Small seeded init: rewards start near 0, so the first BT loss is close to ln 2.
    const rng = new Rng(options.seed ?? 0);
    const init = Float32Array.from({ length: d }, () => rng.normal() * (0.02 / Math.sqrt(d)));
    // Inside tidy so the initial values do not outlive the variables.
    this.headWeight = tf.tidy(() => tf.variable(tf.tensor2d(init, [d, 1]), true));
    this.headBias = tf.tidy(() => tf.variable(tf.zeros([1]), true));
  }

  get pooling(): RewardPooling {
    return this.options.pooling ?? 'last';
  }

  get tokenizerFingerprint(): string {
    return this.backbone.tokenizerFingerprint;
  }

  /**
   * Differentiable rewards [B] for an encoded batch. `labels` are the completion labels as the policy port builds
   * them, already on the host (`await enc.labels.data()`): pooling is decided on the CPU, and reading them here
   * would be a synchronous download inside the taped pass, which WebGPU cannot do.
   */
  rewards(inputIds: tf.Tensor2D, labels: ArrayLike<number>): tf.Tensor1D {
    const [b, t] = inputIds.shape;
    const weights = poolingWeights(labels, b, t, this.pooling);
    try {
      return tf.tidy(() =>
        pooledReward(
          this.backbone.hiddenStates(inputIds),
          weights,
          this.headWeight as tf.Tensor2D,
          this.headBias as tf.Tensor1D,
        ),
      );
    } finally {
      weights.dispose();
    }
  }

  /** Rewards of already-encoded rows (e.g. sampled token ids), as numbers. */
  async scoreEncoded(inputIds: tf.Tensor2D, labels: tf.Tensor2D): Promise<Float32Array> {
    const r = this.rewards(inputIds, await labels.data());
    const out = (await r.data()) as Float32Array;
    r.dispose();
    return out;
  }

  /** Rewards of (prompt, completion) rows, in batches. */
  async score(rows: readonly PromptCompletion[], batchSize = 32): Promise<Float32Array> {
    const out = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i += batchSize) {
      const enc = await this.backbone.encodeCompletions(rows.slice(i, i + batchSize));
      try {
        out.set(await this.scoreEncoded(enc.inputIds, enc.labels), i);
      } finally {
        tf.dispose([enc.inputIds, enc.labels]);
      }
    }
    return out;
  }

  trainableVariables(): tf.Variable[] {
    return [...this.backbone.trainableVariables(), this.headWeight, this.headBias];
  }

  dispose(): void {
    this.headWeight.dispose();
    this.headBias.dispose();
  }
}
