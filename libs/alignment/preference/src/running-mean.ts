import { CorruptDataError, InvalidInputError } from '@tessera/common';

export interface RunningMeanState {
  mean: number;
  count: number;
}

/**
 * Cumulative running mean of rewards: BCO's reward shift δ. Not an EMA: every reward seen counts equally.
 * The count starts at 1e-24 (as the reference code does) so the first batch sets δ to that batch's mean.
 */
export class RunningMean {
  private state: RunningMeanState;

  constructor(state: RunningMeanState = { mean: 0, count: 1e-24 }) {
    if (!Number.isFinite(state.mean) || !(state.count > 0)) {
      throw new InvalidInputError('running mean needs a finite mean and a positive count', { ...state });
    }
    this.state = { ...state };
  }

  get mean(): number {
    return this.state.mean;
  }

  get count(): number {
    return this.state.count;
  }

  /** Folds a batch of values in; non-finite values are rejected so δ never turns into NaN. */
  update(values: ArrayLike<number>): number {
    const n = values.length;
    if (n === 0) return this.state.mean;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) throw new InvalidInputError(`running mean got a non-finite value ${v}`);
      sum += v;
    }
    const batchMean = sum / n;
    const total = this.state.count + n;
    this.state = { mean: this.state.mean + ((batchMean - this.state.mean) * n) / total, count: total };
    return this.state.mean;
  }

  toJSON(): RunningMeanState {
    return { ...this.state };
  }

  static fromJSON(json: unknown): RunningMean {
    const s = json as Partial<RunningMeanState> | null;
    if (!s || typeof s.mean !== 'number' || typeof s.count !== 'number') {
      throw new CorruptDataError('running mean state must be {mean, count}');
    }
    return new RunningMean({ mean: s.mean, count: s.count });
  }
}
