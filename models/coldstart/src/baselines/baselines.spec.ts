import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, Rng } from '@tessera/common';
import { ColdStartData, ColdStartDataset, Interaction, ItemContent, IMPLICIT_POSITIVE } from '../data';
import { ColdStartMethodRegistry } from './cold-start-method.registry';
import { evaluateColdStart, evaluateTask, formatColdStartTable, trainingSetOf } from './evaluate-cold-start';
import { ridgeRegression } from './ridge-regression';
import { sparseRidgeRegression } from './sparse-ridge';
import { TfIdfVectorizer, wordTokens } from './tfidf-vectorizer';
import type { ColdStartRecommender } from './cold-start-recommender';

/**
 * 4 taste clusters; each item's text names its cluster, each user likes mostly
 * one cluster. Content predicts cold items; IDs alone cannot.
 */
function clustered(seed = 5): ColdStartDataset {
  const rng = new Rng(seed);
  const words = ['space rocket alien', 'love romance wedding', 'murder detective crime', 'cartoon animated family'];
  const contents = new Map<number, ItemContent>();
  const cluster = (i: number) => i % 4;
  for (let i = 0; i < 400; i++) {
    contents.set(i, { itemId: i, fields: { title: `${words[cluster(i)]} item${i}`, genres: `g${cluster(i)}` } });
  }
  const interactions: Interaction[] = [];
  for (let u = 0; u < 120; u++) {
    const fav = u % 4;
    for (let i = 0; i < 400; i++) {
      const p = cluster(i) === fav ? 0.25 : 0.01;
      if (rng.next() < p) interactions.push({ userId: u, itemId: i });
    }
  }
  return { name: 'clustered', interactions, itemIds: [...contents.keys()], contents, positive: IMPLICIT_POSITIVE };
}

describe('baselines on a clustered synthetic dataset', () => {
  it('content methods find cold items; ID-only MF scores at chance on them but not on warm ones', async () => {
    const report = await evaluateColdStart({
      dataset: clustered(),
      seeds: [1, 2],
      methods: ['random', 'bpr-mf', 'content-tfidf', 'cb2cf-ridge', 'cb2cf-sparse-ridge'],
      ks: [10],
    });
    const cold = report.table.cold!;
    const r = (m: string) => cold[m]['recall@10'].mean;
    // Random over 40 cold items with ~10 positives per user: about 0.25.
    expect(r('random')).toBeGreaterThan(0.15);
    expect(r('random')).toBeLessThan(0.35);
    expect(Math.abs(r('bpr-mf') - r('random'))).toBeLessThan(0.1);
    expect(r('content-tfidf')).toBeGreaterThan(0.8);
    expect(r('cb2cf-ridge')).toBeGreaterThan(0.6);
    expect(r('cb2cf-sparse-ridge')).toBeGreaterThan(0.6);
    expect(report.table.warm!['bpr-mf']['recall@10'].mean).toBeGreaterThan(
      report.table.warm!.random['recall@10'].mean * 2,
    );
    expect(cold.random['recall@10'].n).toBe(2);
    expect(formatColdStartTable(report)).toContain('| content-tfidf |');
  });

  it('is deterministic for a seed', async () => {
    const opts = {
      dataset: clustered(),
      seeds: [3],
      methods: ['bpr-mf', 'cb2cf-ridge'],
      ks: [10],
      settings: ['cold' as const],
    };
    const a = await evaluateColdStart(opts);
    const b = await evaluateColdStart(opts);
    expect(a.runs.map((x) => x.metrics)).toEqual(b.runs.map((x) => x.metrics));
  });
});

describe('evaluateTask', () => {
  it('ranks with exclusions and reports the full-list first rank', async () => {
    const ds = clustered();
    const data = ColdStartData.build(ds, { seed: 1 });
    const task = data.task('cold');
    // Oracle: relevant items score 1, others 0 → perfect recall, MRR 1.
    const oracle: ColdStartRecommender = {
      name: 'oracle',
      fit: () => undefined,
      scoreUsers: (users, cands) => {
        const out = new Float32Array(users.length * cands.length);
        users.forEach((u, r) =>
          cands.forEach((c, i) => (out[r * cands.length + i] = task.relevant.get(u)!.has(c) ? 1 : 0)),
        );
        return out;
      },
    };
    const m = await evaluateTask(oracle, task, [5], 7);
    expect(m['recall@5']).toBe(1);
    expect(m['ndcg@5']).toBe(1);
    expect(m.mrr).toBe(1);
    expect(m.medianRank).toBe(1);
    expect(m.users).toBe(task.users.length);
    expect(trainingSetOf(data, ds).warmItems.length).toBe(data.split.warm.length);
  });
});

describe('registry', () => {
  it('refuses unknown and duplicate names', () => {
    const reg = ColdStartMethodRegistry.withBaselines();
    expect(reg.names()).toEqual([
      'random',
      'bpr-mf',
      'content-tfidf',
      'content-bm25',
      'cb2cf-ridge',
      'cb2cf-sparse-ridge',
    ]);
    expect(() => reg.create('nope', 1)).toThrow(NotFoundError);
    expect(() => reg.register('random', () => reg.create('random', 1))).toThrow(ConflictError);
    expect(reg.create('bpr-mf', 1).name).toBe('bpr-mf');
  });
});

describe('ridge regression', () => {
  it('recovers an exact linear map (small lambda)', () => {
    const rng = new Rng(9);
    const n = 50,
      p = 3,
      q = 2;
    const W = [1, -2, 0.5, 3, -1, 0];
    const X = new Float64Array(n * p).map(() => rng.normal());
    const Y = new Float64Array(n * q);
    for (let r = 0; r < n; r++)
      for (let c = 0; c < q; c++) for (let a = 0; a < p; a++) Y[r * q + c] += X[r * p + a] * W[a * q + c];
    const got = ridgeRegression(X, Y, n, p, q, 1e-9);
    got.forEach((w, i) => expect(w).toBeCloseTo(W[i], 5));
  });

  it('shrinks toward zero: 1-D closed form sum(xy)/(sum(x²)+λ)', () => {
    const got = ridgeRegression(Float64Array.from([1, 2]), Float64Array.from([2, 4]), 2, 1, 1, 5);
    expect(got[0]).toBeCloseTo(10 / 10, 12);
  });
});

describe('sparse ridge (conjugate gradient)', () => {
  it('matches the dense closed form', () => {
    const rng = new Rng(4);
    const n = 40,
      V = 6,
      q = 2;
    const dense = new Float64Array(n * V);
    const rows = Array.from({ length: n }, (_, r) => {
      const idx = [r % V, (r * 7 + 3) % V].filter((v, i, a) => a.indexOf(v) === i).sort((a, b) => a - b);
      const vals = idx.map(() => rng.normal());
      idx.forEach((j, k) => (dense[r * V + j] = vals[k]));
      return { indices: Int32Array.from(idx), values: Float32Array.from(vals) };
    });
    // Read the float32-rounded values back so both solvers see identical inputs.
    rows.forEach((row, r) => row.indices.forEach((j, k) => (dense[r * V + j] = row.values[k])));
    const Y = new Float64Array(n * q).map(() => rng.normal());
    const { weights, intercept } = sparseRidgeRegression(rows, Y, V, q, 0.5, { tolerance: 1e-12 });
    const Yc = Y.map((y, i) => y - intercept[i % q]);
    const expected = ridgeRegression(dense, Yc, n, V, q, 0.5);
    weights.forEach((w, i) => expect(w).toBeCloseTo(expected[i], 8));
    expect(intercept[0]).toBeCloseTo(Y.filter((_, i) => i % q === 0).reduce((s, y) => s + y, 0) / n, 12);
  });
});

describe('TF-IDF vectorizer', () => {
  it('builds L2-normalised vectors and drops singleton terms', () => {
    const contents = new Map<number, ItemContent>([
      [1, { itemId: 1, fields: { title: 'Space space rocket', genres: 'Sci-Fi | Action' } }],
      [2, { itemId: 2, fields: { title: 'Rocket love', genres: 'Action' } }],
      [3, { itemId: 3, fields: { title: 'The unique' }, neighbours: [1] }],
    ]);
    const v = new TfIdfVectorizer().fit([1, 2, 3], contents);
    expect([...v.vocabulary.keys()]).toEqual(['genres:action', 'rocket']);
    const a = v.vector(1);
    const norm = Math.hypot(...a.values);
    expect(norm).toBeCloseTo(1, 6);
    expect(v.vector(3).indices.length).toBe(0);
    expect(wordTokens('The Dog, a dog!')).toEqual(['dog', 'dog']);
  });
});
