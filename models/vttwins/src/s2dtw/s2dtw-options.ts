import { InvalidInputError } from '@tessera/common';

/**
 * Knobs of S2DTW (spec vt-twins.md sections 3 and 7). With `localSmoothing` and `skip` both off the
 * recursion is plain soft-DTW over the cost −Z.
 */
export interface S2dtwOptions {
  /** Temperature of the outer soft-DTW minimum (γ). */
  gamma: number;
  /** Temperature of the local smoothing minimum (γ_l). */
  gammaLocal: number;
  /** Cost of each skip cell (δ). */
  delta: number;
  /** Add the soft minimum over a cell's predecessors to its cost (step 1). */
  localSmoothing: boolean;
  /** Interleave δ skip cells between the match cells (step 2). */
  skip: boolean;
}

export const DEFAULT_S2DTW_OPTIONS: Readonly<S2dtwOptions> = Object.freeze({
  gamma: 0.1,
  gammaLocal: 0.1,
  delta: 0.5,
  localSmoothing: true,
  skip: true,
});

/** Plain soft-DTW over −Z: no local smoothing, no skip cells. */
export const PLAIN_SOFT_DTW_OPTIONS: Readonly<S2dtwOptions> = Object.freeze({
  ...DEFAULT_S2DTW_OPTIONS,
  localSmoothing: false,
  skip: false,
});

export function resolveS2dtwOptions(partial: Partial<S2dtwOptions> = {}): S2dtwOptions {
  const o = { ...DEFAULT_S2DTW_OPTIONS, ...partial };
  if (!(o.gamma > 0) || !Number.isFinite(o.gamma)) {
    throw new InvalidInputError(`S2DTW gamma must be a positive finite number, got ${o.gamma}`);
  }
  if (!(o.gammaLocal > 0) || !Number.isFinite(o.gammaLocal)) {
    throw new InvalidInputError(`S2DTW gammaLocal must be a positive finite number, got ${o.gammaLocal}`);
  }
  if (!Number.isFinite(o.delta)) {
    throw new InvalidInputError(`S2DTW delta must be finite, got ${o.delta}`);
  }
  return o;
}
