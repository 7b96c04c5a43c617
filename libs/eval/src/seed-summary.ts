export interface SeedSummary {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single seed. */
  std: number;
  min: number;
  max: number;
  n: number;
}

/** Mean ± spread of one metric over seeds (or folds). */
export function summarizeSeeds(values: readonly number[]): SeedSummary {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const varSum = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return {
    mean,
    std: n > 1 ? Math.sqrt(varSum / (n - 1)) : 0,
    min: Math.min(...values),
    max: Math.max(...values),
    n,
  };
}

/** Summarise each metric of several runs: metric → summary. Metrics missing from a run are ignored for it. */
export function summarizeRuns(runs: readonly Record<string, number>[]): Record<string, SeedSummary> {
  const names = new Set(runs.flatMap((r) => Object.keys(r)));
  const out: Record<string, SeedSummary> = {};
  for (const name of names) {
    out[name] = summarizeSeeds(runs.map((r) => r[name]).filter((v): v is number => typeof v === 'number'));
  }
  return out;
}

/** "0.1234 ± 0.0056" for tables. */
export function formatSummary(s: SeedSummary, digits = 4): string {
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}
