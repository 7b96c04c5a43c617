import { CorruptDataError, InvalidInputError, Rng } from '@tessera/common';
import {
  LogisticRegression,
  type LogisticRegressionOptions,
  type LogisticRegressionState,
} from './logistic-regression';

export interface DensityRatioOptions extends LogisticRegressionOptions {
  /** Prompts sampled from each side before fitting (TRL `prompt_sample_size`, default 1024). */
  promptSampleSize?: number;
  minDensityRatio?: number;
  maxDensityRatio?: number;
  seed?: number;
}

/** w = p/(1 − p + 1e-8), clamped to [min, max]. Pure, so the known answers test it directly. */
export function densityRatio(pPositive: number, min = 0.5, max = 10): number {
  const w = pPositive / (1 - pPositive + 1e-8);
  return Math.min(max, Math.max(min, w));
}

/**
 * BCO's underlying distribution matching (UDM): a logistic-regression classifier on prompt embeddings
 * separates thumbs-up prompts (class 1) from thumbs-down prompts (class 0); the weight p₊(x)/p₋(x) of an
 * undesirable row is P(+|x)/(1 − P(+|x)), clamped. Fitted once, before training; refit only on request.
 */
export class DensityRatioEstimator {
  private constructor(
    private readonly classifier: LogisticRegression,
    readonly minDensityRatio: number,
    readonly maxDensityRatio: number,
  ) {}

  static fit(
    positivePrompts: readonly ArrayLike<number>[],
    negativePrompts: readonly ArrayLike<number>[],
    options: DensityRatioOptions = {},
  ): DensityRatioEstimator {
    const min = options.minDensityRatio ?? 0.5;
    const max = options.maxDensityRatio ?? 10;
    if (!(min > 0) || !(max >= min))
      throw new InvalidInputError(`density ratio bounds must satisfy 0 < min <= max (got ${min}, ${max})`);
    if (positivePrompts.length === 0 || negativePrompts.length === 0) {
      throw new InvalidInputError('UDM needs prompt embeddings from both the desirable and the undesirable side');
    }
    const size = options.promptSampleSize ?? 1024;
    const rng = new Rng(options.seed ?? 0);
    const pos = sample(positivePrompts, size, rng);
    const neg = sample(negativePrompts, size, rng);
    const clf = LogisticRegression.fit([...pos, ...neg], [...pos.map(() => 1), ...neg.map(() => 0)], options);
    return new DensityRatioEstimator(clf, min, max);
  }

  probability(embedding: ArrayLike<number>): number {
    return this.classifier.probability(embedding);
  }

  weight(embedding: ArrayLike<number>): number {
    return densityRatio(this.probability(embedding), this.minDensityRatio, this.maxDensityRatio);
  }

  /** UDM weights of a batch: undesirable rows get the ratio, desirable rows 1. */
  rowWeights(embeddings: readonly ArrayLike<number>[], labels: readonly boolean[]): Float32Array {
    return Float32Array.from(embeddings, (e, i) => (labels[i] ? 1 : this.weight(e)));
  }

  toJSON(): { classifier: LogisticRegressionState; minDensityRatio: number; maxDensityRatio: number } {
    return {
      classifier: this.classifier.toJSON(),
      minDensityRatio: this.minDensityRatio,
      maxDensityRatio: this.maxDensityRatio,
    };
  }

  static fromJSON(json: unknown): DensityRatioEstimator {
    const s = json as { classifier?: unknown; minDensityRatio?: number; maxDensityRatio?: number } | null;
    if (!s || typeof s.minDensityRatio !== 'number' || typeof s.maxDensityRatio !== 'number') {
      throw new CorruptDataError('density ratio state is malformed');
    }
    return new DensityRatioEstimator(LogisticRegression.fromJSON(s.classifier), s.minDensityRatio, s.maxDensityRatio);
  }
}

function sample<T>(items: readonly T[], size: number, rng: Rng): T[] {
  if (items.length <= size) return [...items];
  return rng.shuffle([...items]).slice(0, size);
}
