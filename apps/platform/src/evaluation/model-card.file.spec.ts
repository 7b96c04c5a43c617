import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelCardEvaluation } from '@tessera/eval';
import { summarizeColdStartRuns, type ColdStartRun } from '@tessera/models/coldstart';
import { coldStartCardEvaluation, type EvaluationRun } from './coldstart-card-evaluation';
import { recordEvaluationsInCard } from './model-card.file';
import { vttwinsCardEvaluations } from '../vttwins/vttwins-card-evaluations';

const RUN: EvaluationRun = {
  command: 'tessera eval coldstart --dataset movielens --seeds 1,2,3',
  startedAt: new Date('2026-11-25T20:00:00Z'),
  finishedAt: new Date('2026-11-25T20:02:30Z'),
  reportFile: 'eval/coldstart-movielens-1.json',
  provenance: {
    gitCommit: 'c0ffee',
    gitDirty: false,
    backend: { name: 'wasm', simd: true, threads: false },
    node: 'v22',
  },
};

function entry(dataset: string, results: unknown = { x: 1 }): ModelCardEvaluation {
  return { ...coldStartCardEvaluation(report(dataset), { ...SETTINGS, dataset }, RUN), results };
}

const SETTINGS = {
  dataset: 'movielens',
  path: '/data/ml',
  seeds: [1, 2, 3],
  methods: ['random', 'tessera-encoder'],
  ks: [10, 20, 50],
  encoder: { dModel: 64 },
  modalities: [],
};

/** Made-up per-seed metrics: recall@K = base + seed / 100 so the spread over seeds is known. */
function report(dataset: string) {
  const runs: ColdStartRun[] = [];
  for (const seed of [1, 2, 3])
    for (const [method, base] of [
      ['random', 0.01],
      ['tessera-encoder', 0.2],
    ] as const) {
      const metrics: Record<string, number> = { users: 100 };
      for (const k of [10, 20, 50]) {
        metrics[`recall@${k}`] = base + k / 1000 + seed / 100;
        metrics[`ndcg@${k}`] = base / 2 + seed / 100;
      }
      runs.push({ seed, method, fitMs: 1000 * seed, metrics: { cold: metrics, warm: metrics, all: metrics } });
    }
  return summarizeColdStartRuns(dataset, runs, { ks: [10, 20, 50], settings: ['cold', 'warm', 'all'] });
}

function modelFolder(card: object = { modelId: 'tessera-coldstart-encoder', version: 'v1', metrics: { loss: 1 } }) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-card-'));
  writeFileSync(join(dir, 'card.json'), JSON.stringify(card, null, 2));
  writeFileSync(join(dir, 'weights.bin'), 'weights');
  return dir;
}

const read = (dir: string) => JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8'));

describe('recording evaluations in a model card', () => {
  it('merges by dataset into card.json, renders card.md beside it and leaves the rest of the folder alone', async () => {
    const dir = modelFolder();
    await recordEvaluationsInCard(dir, [entry('movielens', 'first')], { modelId: 'tessera-coldstart-encoder' });
    await recordEvaluationsInCard(dir, [entry('citeulike')]);
    await recordEvaluationsInCard(dir, [entry('movielens', 'second')]);
    const card = read(dir);
    expect(card.metrics).toEqual({ loss: 1 });
    expect(Object.keys(card.evaluations)).toEqual(['citeulike', 'movielens']);
    expect(card.evaluations.movielens.results).toBe('second');
    expect(readdirSync(dir).sort()).toEqual(['card.json', 'card.md', 'weights.bin']);
    const md = readFileSync(join(dir, 'card.md'), 'utf8');
    expect(md).toContain('### citeulike');
    expect(md).toContain('### movielens');
    expect(md).toContain('- command: `tessera eval coldstart --dataset movielens --seeds 1,2,3`');
  });

  it('lands both of two updates that run at the same time', async () => {
    const dir = modelFolder();
    await Promise.all(['a', 'b', 'c', 'd'].map((d) => recordEvaluationsInCard(dir, [entry(d)])));
    expect(Object.keys(read(dir).evaluations)).toEqual(['a', 'b', 'c', 'd']);
    expect(readdirSync(dir).sort()).toEqual(['card.json', 'card.md', 'weights.bin']);
  });

  it('leaves a damaged card, a card of another model and an unwritable update byte for byte as they were', async () => {
    const damaged = modelFolder();
    writeFileSync(join(damaged, 'card.json'), '{"modelId": "tessera-cold');
    await expect(recordEvaluationsInCard(damaged, [entry('movielens')])).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(join(damaged, 'card.json'), 'utf8')).toBe('{"modelId": "tessera-cold');

    const other = modelFolder({ modelId: 'tessera-vttwins', version: 'v1' });
    const before = readFileSync(join(other, 'card.json'), 'utf8');
    await expect(
      recordEvaluationsInCard(other, [entry('movielens')], { modelId: 'tessera-coldstart-encoder' }),
    ).rejects.toThrow(/not of 'tessera-coldstart-encoder'/);
    expect(readFileSync(join(other, 'card.json'), 'utf8')).toBe(before);

    const dir = modelFolder();
    await recordEvaluationsInCard(dir, [entry('movielens')]);
    const good = readFileSync(join(dir, 'card.json'), 'utf8');
    await expect(recordEvaluationsInCard(dir, [entry('citeulike', { n: 1n })])).rejects.toThrow(/BigInt/);
    expect(readFileSync(join(dir, 'card.json'), 'utf8')).toBe(good);
    expect(readdirSync(dir).sort()).toEqual(['card.json', 'card.md', 'weights.bin']);
  });

  it('waits for a held lock, gives up with a conflict, and clears a stale one', async () => {
    const dir = modelFolder();
    writeFileSync(join(dir, '.card.lock'), '12345\n');
    await expect(recordEvaluationsInCard(dir, [entry('movielens')], { lockTimeoutMs: 150 })).rejects.toThrow(
      /being written by another process/,
    );
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(join(dir, '.card.lock'), old, old);
    await recordEvaluationsInCard(dir, [entry('movielens')], { lockTimeoutMs: 150 });
    expect(Object.keys(read(dir).evaluations)).toEqual(['movielens']);
    expect(readdirSync(dir)).not.toContain('.card.lock');
  });
});

describe('evaluation reports as card entries', () => {
  it('cold-start: every method, K and setting as mean ± sample sd, with seeds, options and provenance', () => {
    const e = coldStartCardEvaluation(report('movielens-small+tmdb'), SETTINGS, RUN);
    expect(e).toMatchObject({
      dataset: 'movielens',
      seeds: [1, 2, 3],
      durationSeconds: 150,
      gitCommit: 'c0ffee',
      reportFile: 'eval/coldstart-movielens-1.json',
      options: { methods: ['random', 'tessera-encoder'], encoder: { dModel: 64 } },
    });
    for (const setting of ['cold', 'warm', 'all'])
      expect(e.tables).toContain(`movielens-small+tmdb — ${setting} (seeds 1,2,3)`);
    for (const k of [10, 20, 50]) expect(e.tables).toContain(`recall@${k} | ndcg@${k}`);
    // recall@10 = base + 0.01 + seed / 100: mean over seeds 1-3 adds 0.03; sample sd 0.01 (population sd: 0.0082)
    expect(e.tables).toContain('| tessera-encoder | 0.2300 ± 0.0100 |');
    expect(e.tables).toContain('| random | 0.0400 ± 0.0100 |');
  });

  it('VT-TWINS: the synthetic table and the moment status; a skipped real-video part records nothing', () => {
    const m = { alignmentAccuracy: 50, trueCellRecall: 40, r1: 10, r5: 30, r10: 50, medianRank: 9 };
    const entries = vttwinsCardEvaluations(
      {
        kind: 'vttwins-evaluation',
        startedAt: RUN.startedAt.toISOString(),
        syntheticOptions: { seeds: [1, 2], steps: 150 },
        synthetic: {
          queries: 40,
          galleryClips: 24,
          text: '',
          rows: [{ method: 's2dtw', perSeed: [m, m], mean: m, std: { ...m, r1: 2.5 }, trainSeconds: 12 }],
        },
        real: { status: 'skipped', reason: 'no Popeye clips' },
        moments: { status: 'skipped', reason: 'no videos staged', sets: [] },
      },
      RUN,
    );
    expect(entries.map((e) => e.dataset)).toEqual(['synthetic', 'moments']);
    expect(entries[0].seeds).toEqual([1, 2]);
    expect(entries[0].tables).toContain('| s2dtw | 50.0 ± 50.0 | 40.0 ± 40.0 | 10.0 ± 2.5 |');
    expect(entries[1].protocol).toContain('skipped: no videos staged');
  });
});
