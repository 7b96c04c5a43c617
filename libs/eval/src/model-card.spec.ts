import { describe, expect, it } from 'vitest';
import {
  renderModelCardMarkdown,
  withEvaluations,
  type CardWithEvaluations,
  type ModelCardEvaluation,
} from './model-card';

function entry(dataset: string, overrides: Partial<ModelCardEvaluation> = {}): ModelCardEvaluation {
  return {
    dataset,
    command: `tessera eval coldstart --dataset ${dataset}`,
    options: { seeds: [1, 2, 3] },
    seeds: [1, 2, 3],
    evaluatedAt: '2026-11-25T20:00:00.000Z',
    durationSeconds: 61.4,
    gitCommit: 'abc123',
    gitDirty: false,
    backend: { name: 'wasm', simd: true, threads: false },
    node: 'v22.12.0',
    protocol: 'Cells are mean ± sample sd over seeds.',
    tables: `| method | recall@20 |\n|---|---|\n| random | 0.0100 ± 0.0010 |\n| ${dataset}-encoder | 0.2000 ± 0.0100 |`,
    results: { cold: { random: { 'recall@20': { mean: 0.01, std: 0.001, n: 3 } } } },
    ...overrides,
  };
}

describe('model card evaluations', () => {
  const card: Record<string, unknown> & CardWithEvaluations = {
    modelId: 'm',
    version: 'v1',
    metrics: { 'val.recall@20': 0.12 },
  };

  it('adds entries by dataset, replaces a dataset evaluated again and keeps the others, keys sorted', () => {
    const one = withEvaluations(card, [entry('movielens'), entry('citeulike')]);
    expect(Object.keys(one.evaluations!)).toEqual(['citeulike', 'movielens']);
    const again = withEvaluations(one, [
      entry('movielens', { seeds: [4, 5], evaluatedAt: '2026-11-26T00:00:00.000Z' }),
    ]);
    expect(Object.keys(again.evaluations!)).toEqual(['citeulike', 'movielens']);
    expect(again.evaluations!.movielens.seeds).toEqual([4, 5]);
    expect(again.evaluations!.citeulike).toEqual(one.evaluations!.citeulike);
    // the input card is not changed
    expect(one.evaluations!.movielens.seeds).toEqual([1, 2, 3]);
    expect(again.metrics).toEqual(card.metrics);
  });

  it('refuses two entries of one dataset in one update and an empty dataset name', () => {
    expect(() => withEvaluations(card, [entry('movielens'), entry('movielens')])).toThrow(/two evaluations/);
    expect(() => withEvaluations(card, [entry(' ')])).toThrow(/dataset name/);
  });

  it('renders the card with its training facts, configuration and every evaluation with provenance and tables', () => {
    const md = renderModelCardMarkdown(
      withEvaluations(
        {
          ...card,
          status: 'complete',
          backend: { name: 'wasm', simd: true, threads: false },
          data: { source: 'movielens', items: 9742 },
          config: { dModel: 64 },
        },
        [entry('movielens'), entry('citeulike', { gitDirty: true })],
      ),
    );
    expect(md).toMatch(/^# Model card: m v1\n/);
    expect(md).toContain('- status: complete');
    expect(md).toContain('## Training data\n\n- source: movielens\n- items: 9742');
    expect(md).toContain('| val.recall@20 | 0.1200 |');
    expect(md).toContain('"dModel": 64');
    // evaluations in key order, each with its provenance and its table
    expect(md.indexOf('### citeulike')).toBeGreaterThan(md.indexOf('## Evaluations'));
    expect(md.indexOf('### movielens')).toBeGreaterThan(md.indexOf('### citeulike'));
    expect(md).toContain('- command: `tessera eval coldstart --dataset movielens`');
    expect(md).toContain('- seeds: 1, 2, 3');
    expect(md).toContain('- backend: wasm (SIMD), Node v22.12.0');
    expect(md).toContain('- git commit: abc123 (working tree had uncommitted changes)');
    expect(md).toContain('- git commit: abc123\n');
    expect(md).toContain('| movielens-encoder | 0.2000 ± 0.0100 |');
    expect(md).toContain('2026-11-25T20:00:00.000Z (61 s)');
  });

  it('says when no evaluation is recorded', () => {
    expect(renderModelCardMarkdown(card)).toContain('## Evaluations\n\nNone recorded yet.');
  });
});
