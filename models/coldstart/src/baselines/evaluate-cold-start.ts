import { InvalidInputError } from '@tessera/common';
import { evaluateRankings, SeedSummary, summarizeRuns, topKIndices, UserRanking } from '@tessera/eval';
import { ColdStartData, ColdStartDataset, EvalPart, EvalSetting, EvalTask } from '../data';
import type { ColdStartRecommender, TrainingSet } from './cold-start-recommender';
import { ColdStartMethodRegistry } from './cold-start-method.registry';

export interface EvaluateColdStartOptions {
  dataset: ColdStartDataset;
  seeds: number[];
  /** Method names in `registry`. */
  methods: string[];
  ks?: number[];
  settings?: EvalSetting[];
  part?: EvalPart;
  registry?: ColdStartMethodRegistry;
  /** Users scored per `scoreUsers` call (bounds the score matrix). */
  userBatch?: number;
  warmHoldout?: number;
  /** Called after each (seed, method) with timings, e.g. for progress logs. */
  onRun?: (run: ColdStartRun) => void;
}

export interface ColdStartRun {
  seed: number;
  method: string;
  fitMs: number;
  /** setting → metric → value. */
  metrics: Partial<Record<EvalSetting, Record<string, number>>>;
}

/** setting → method → metric → summary over seeds. */
export type ColdStartTable = Partial<Record<EvalSetting, Record<string, Record<string, SeedSummary>>>>;

export interface ColdStartReport {
  dataset: string;
  seeds: number[];
  ks: number[];
  table: ColdStartTable;
  runs: ColdStartRun[];
}

/** Build the training view a method sees for one split. */
export function trainingSetOf(data: ColdStartData, dataset: ColdStartDataset): TrainingSet {
  const users = [...new Set(data.train.map((x) => x.userId))].sort((a, b) => a - b);
  const warmItems = [...new Set(data.train.map((x) => x.itemId))].sort((a, b) => a - b);
  return {
    interactions: data.train,
    positives: data.trainPositives(),
    users,
    warmItems,
    allItems: [...new Set([...dataset.itemIds, ...dataset.interactions.map((x) => x.itemId)])].sort((a, b) => a - b),
    seed: data.split.seed,
  };
}

/** Rank one task's candidates for every user with a fitted method and macro-average the metrics. */
export async function evaluateTask(
  method: ColdStartRecommender,
  task: EvalTask,
  ks: readonly number[],
  userBatch = 256,
): Promise<Record<string, number>> {
  const maxK = Math.max(...ks);
  const n = task.candidates.length;
  const position = new Map(task.candidates.map((c, i) => [c, i]));
  const rankings: UserRanking<number>[] = [];
  for (let start = 0; start < task.users.length; start += userBatch) {
    const users = task.users.slice(start, start + userBatch);
    const scores = await method.scoreUsers(users, task.candidates);
    if (scores.length !== users.length * n) {
      throw new InvalidInputError(`${method.name} returned ${scores.length} scores, expected ${users.length}×${n}`);
    }
    users.forEach((u, r) => {
      const row = scores.subarray(r * n, (r + 1) * n);
      const excluded = new Set<number>();
      for (const item of task.exclude.get(u) ?? []) {
        const p = position.get(item);
        if (p !== undefined) excluded.add(p);
      }
      const skip = excluded.size > 0 ? (i: number) => excluded.has(i) : undefined;
      const top = topKIndices(row, maxK, skip);
      const relevant = task.relevant.get(u)!;
      // Rank of the best-scored relevant item in the full list (ties against it, NaN last).
      let best = -1;
      for (const item of relevant) {
        const p = position.get(item);
        if (p === undefined || excluded.has(p)) continue;
        if (best < 0 || row[p] > row[best] || (row[p] === row[best] && p < best)) best = p;
      }
      let firstRank = n + 1;
      if (best >= 0) {
        firstRank = 1;
        const s = row[best];
        for (let i = 0; i < n; i++) {
          if (i === best || excluded.has(i)) continue;
          if (row[i] > s || (row[i] === s && i < best)) firstRank++;
        }
      }
      rankings.push({ ranked: top.map((i) => task.candidates[i]), relevant, firstRank });
    });
  }
  const { users, ...metrics } = evaluateRankings(rankings, { ks });
  return { ...metrics, users };
}

/**
 * The cold-start benchmark: for each seed, split, fit every method on the
 * training part, evaluate the requested settings, and summarise mean ± std over
 * seeds. Methods come from the registry, so new ones need no runner change.
 */
export async function evaluateColdStart(options: EvaluateColdStartOptions): Promise<ColdStartReport> {
  const ks = options.ks ?? [10, 20, 50];
  const settings = options.settings ?? ['cold', 'warm', 'all'];
  const registry = options.registry ?? ColdStartMethodRegistry.withBaselines();
  for (const m of options.methods) registry.create(m, 0); // fail fast on unknown names
  const runs: ColdStartRun[] = [];
  for (const seed of options.seeds) {
    const data = ColdStartData.build(options.dataset, { seed, warmHoldout: options.warmHoldout });
    const train = trainingSetOf(data, options.dataset);
    const tasks = settings.map((s) => data.task(s, options.part ?? 'test'));
    for (const name of options.methods) {
      const method = registry.create(name, seed);
      const t0 = performance.now();
      await method.fit(train, options.dataset.contents);
      const fitMs = performance.now() - t0;
      const metrics: ColdStartRun['metrics'] = {};
      for (const task of tasks) metrics[task.setting] = await evaluateTask(method, task, ks, options.userBatch);
      const run = { seed, method: name, fitMs, metrics };
      runs.push(run);
      options.onRun?.(run);
    }
  }
  return summarizeColdStartRuns(options.dataset.name, runs, { ks, settings, methods: options.methods });
}

/**
 * The report of some runs (mean ± std over their seeds per setting and method), e.g. to merge the runs
 * of seeds evaluated in separate processes. Methods keep the given order (default: first appearance).
 */
export function summarizeColdStartRuns(
  dataset: string,
  runs: readonly ColdStartRun[],
  options: { ks: number[]; settings: EvalSetting[]; methods?: string[] },
): ColdStartReport {
  const methods = options.methods ?? [...new Set(runs.map((r) => r.method))];
  const table: ColdStartTable = {};
  for (const s of options.settings) {
    const bySetting: Record<string, Record<string, SeedSummary>> = {};
    for (const name of methods) {
      const mine = runs.filter((r) => r.method === name && r.metrics[s]);
      if (mine.length > 0) bySetting[name] = summarizeRuns(mine.map((r) => ({ ...r.metrics[s]!, fitMs: r.fitMs })));
    }
    table[s] = bySetting;
  }
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  return { dataset, seeds, ks: options.ks, table, runs: [...runs] };
}

/** Markdown table of mean ± std for the chosen metrics. */
export function formatColdStartTable(report: ColdStartReport, metrics?: string[]): string {
  const names = metrics ?? report.ks.flatMap((k) => [`recall@${k}`, `ndcg@${k}`]);
  const lines: string[] = [];
  for (const [setting, byMethod] of Object.entries(report.table)) {
    lines.push(`\n${report.dataset} — ${setting} (seeds ${report.seeds.join(',')})`);
    lines.push(`| method | ${names.join(' | ')} | users | fit s |`);
    lines.push(`|---|${names.map(() => '---').join('|')}|---|---|`);
    for (const [method, m] of Object.entries(byMethod ?? {})) {
      const cells = names.map((n) => (m[n] ? `${m[n].mean.toFixed(4)} ± ${m[n].std.toFixed(4)}` : '–'));
      lines.push(
        `| ${method} | ${cells.join(' | ')} | ${m.users?.mean.toFixed(0) ?? '–'} | ${((m.fitMs?.mean ?? 0) / 1000).toFixed(1)} |`,
      );
    }
  }
  return lines.join('\n');
}
