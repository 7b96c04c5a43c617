import { CorruptDataError, InvalidInputError } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { RunningMean } from './running-mean';

describe('RunningMean (BCO reward shift δ)', () => {
  it('is cumulative, not an EMA: [0.2, −0.1] → 0.05, then [0.4, 0.0] → 0.125', () => {
    const m = new RunningMean();
    expect(m.update([0.2, -0.1])).toBeCloseTo(0.05, 12);
    expect(m.update([0.4, 0.0])).toBeCloseTo(0.125, 12);
    expect(m.count).toBeCloseTo(4, 12);
  });

  it('round-trips through JSON and continues identically', () => {
    const a = new RunningMean();
    a.update([1, 2, 3]);
    const b = RunningMean.fromJSON(JSON.parse(JSON.stringify(a)));
    expect(b.update([10])).toBeCloseTo(a.update([10]), 12);
    expect(() => RunningMean.fromJSON({ mean: 'x' })).toThrow(CorruptDataError);
  });

  it('refuses non-finite values and keeps its state', () => {
    const m = new RunningMean();
    m.update([1]);
    expect(() => m.update([2, Number.NaN])).toThrow(InvalidInputError);
    expect(m.mean).toBeCloseTo(1, 12);
  });
});
