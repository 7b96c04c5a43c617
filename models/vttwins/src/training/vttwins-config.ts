import { InvalidInputError } from '@tessera/common';

export type VttwinsLossKind = 's2dtw' | 'soft-dtw' | 'mil-nce';

/** Every knob of a VT-TWINS training run, with the defaults documented beside each field. */
export interface VttwinsConfigValues {
  /** Training objective: S2DTW contrastive (the method), plain soft-DTW (no smoothing/skips), MIL-NCE. */
  loss: VttwinsLossKind;
  /** Outer soft-DTW temperature γ (spec: 0.1). */
  gamma: number;
  /** Local smoothing temperature γ_l (spec: 0.1). */
  gammaLocal: number;
  /** Skip-cell cost δ (spec: 0.5). */
  delta: number;
  /** Clip/caption pairs per video sample, n (spec: 8). */
  clipsPerVideo: number;
  /** Videos per batch, b; the loss compares b² sequence pairs (spec default 16; 8 here for CPU). */
  batchSize: number;
  /** Optimisation steps of `train` (default 200). */
  steps: number;
  /** Adam learning rate (spec: 1e-3). */
  learningRate: number;
  /** Apply the temporal data augmentation of spec section 6 (default off, as released). */
  temporalAugmentation: boolean;
  /** TDA: permutations move elements at most this far (spec: 2). */
  augmentationMaxShift: number;
  /** MIL-NCE: captions within this many positions are positives (default 1). */
  milNceWindow: number;
  /** MIL-NCE: logit temperature (default 0.1; embeddings are unit-norm). */
  milNceTemperature: number;
  /** Call the checkpoint hook every this many steps; 0 = only at the end (default 0). */
  checkpointEvery: number;
  /** Seed of the trainer's own randomness (TDA sampling); encoders carry their own seeds. */
  seed: number;
}

export const DEFAULT_VTTWINS_CONFIG: Readonly<VttwinsConfigValues> = Object.freeze({
  loss: 's2dtw',
  gamma: 0.1,
  gammaLocal: 0.1,
  delta: 0.5,
  clipsPerVideo: 8,
  batchSize: 8,
  steps: 200,
  learningRate: 1e-3,
  temporalAugmentation: false,
  augmentationMaxShift: 2,
  milNceWindow: 1,
  milNceTemperature: 0.1,
  checkpointEvery: 0,
  seed: 0,
});

/** A validated configuration: `VttwinsConfig.create(partial)` fills defaults and lists every bad key. */
export class VttwinsConfig implements VttwinsConfigValues {
  readonly loss!: VttwinsLossKind;
  readonly gamma!: number;
  readonly gammaLocal!: number;
  readonly delta!: number;
  readonly clipsPerVideo!: number;
  readonly batchSize!: number;
  readonly steps!: number;
  readonly learningRate!: number;
  readonly temporalAugmentation!: boolean;
  readonly augmentationMaxShift!: number;
  readonly milNceWindow!: number;
  readonly milNceTemperature!: number;
  readonly checkpointEvery!: number;
  readonly seed!: number;

  private constructor(values: VttwinsConfigValues) {
    Object.assign(this, values);
    Object.freeze(this);
  }

  static create(partial: Partial<VttwinsConfigValues> = {}): VttwinsConfig {
    const v: VttwinsConfigValues = { ...DEFAULT_VTTWINS_CONFIG, ...partial };
    const problems: string[] = [];
    const positive = (key: keyof VttwinsConfigValues): void => {
      const x = v[key] as number;
      if (!(typeof x === 'number' && Number.isFinite(x) && x > 0))
        problems.push(`${key} must be a positive number (got ${x})`);
    };
    const count = (key: keyof VttwinsConfigValues, min: number): void => {
      const x = v[key] as number;
      if (!(Number.isInteger(x) && x >= min)) problems.push(`${key} must be an integer ≥ ${min} (got ${x})`);
    };
    if (!['s2dtw', 'soft-dtw', 'mil-nce'].includes(v.loss))
      problems.push(`loss must be s2dtw, soft-dtw or mil-nce (got ${v.loss})`);
    positive('gamma');
    positive('gammaLocal');
    positive('learningRate');
    positive('milNceTemperature');
    if (!Number.isFinite(v.delta)) problems.push(`delta must be finite (got ${v.delta})`);
    count('clipsPerVideo', 1);
    count('batchSize', 2);
    count('steps', 0);
    count('augmentationMaxShift', 0);
    count('milNceWindow', 0);
    count('checkpointEvery', 0);
    count('seed', 0);
    if (typeof v.temporalAugmentation !== 'boolean') problems.push('temporalAugmentation must be a boolean');
    if (problems.length > 0)
      throw new InvalidInputError(`invalid VT-TWINS config: ${problems.join('; ')}`, { problems });
    return new VttwinsConfig(v);
  }

  toJSON(): VttwinsConfigValues {
    return { ...this };
  }
}
