import { describe, expect, it } from 'vitest';
import { type ColdStartRun, summarizeColdStartRuns } from './evaluate-cold-start';

const run = (seed: number, method: string, recall: number): ColdStartRun => ({
  seed,
  method,
  fitMs: 1000 * seed,
  metrics: { cold: { 'recall@10': recall, users: 10 } },
});

describe('summarizeColdStartRuns (seeds evaluated in separate processes)', () => {
  it('gives mean ± sample std per method over the merged seeds, methods in first-seen order', () => {
    const report = summarizeColdStartRuns(
      'toy',
      [run(2, 'b', 0.3), run(1, 'a', 0.1), run(1, 'b', 0.5), run(2, 'a', 0.3)],
      { ks: [10], settings: ['cold', 'warm'] },
    );
    expect(report.seeds).toEqual([1, 2]);
    expect(Object.keys(report.table.cold!)).toEqual(['b', 'a']);
    expect(report.table.cold!.a['recall@10'].mean).toBeCloseTo(0.2, 10);
    expect(report.table.cold!.b['recall@10'].mean).toBeCloseTo(0.4, 10);
    expect(report.table.cold!.a.fitMs.mean).toBe(1500);
    // No run has the warm setting: an empty section rather than NaN rows.
    expect(report.table.warm).toEqual({});
  });
});
