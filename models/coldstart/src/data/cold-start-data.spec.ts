import { describe, expect, it } from 'vitest';
import { InvalidInputError, Rng } from '@tessera/common';
import { ColdStartData } from './cold-start-data';
import { splitColdItems } from './cold-split';
import type { ColdStartDataset, Interaction } from './cold-start.types';
import { IMPLICIT_POSITIVE, MOVIELENS_POSITIVE } from './positive-rule';
import { buildCiteULikeContents, buildMovieLensContents } from './item-content.builder';

function synthetic(seed = 1): ColdStartDataset {
  const rng = new Rng(seed);
  const interactions: Interaction[] = [];
  for (let u = 0; u < 60; u++) {
    for (let i = 0; i < 200; i++) {
      if (rng.next() < 0.08) interactions.push({ userId: u, itemId: i * 3 + 7, rating: 1 + rng.int(5) });
    }
  }
  const itemIds = Array.from({ length: 200 }, (_, i) => i * 3 + 7);
  return { name: 'synthetic', interactions, itemIds, contents: new Map(), positive: MOVIELENS_POSITIVE };
}

describe('splitColdItems', () => {
  it('is 80/10/10, disjoint, complete and deterministic per seed', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    const a = splitColdItems(ids, { seed: 1 });
    const b = splitColdItems([...ids].reverse(), { seed: 1 });
    const c = splitColdItems(ids, { seed: 2 });
    expect([a.warm.length, a.coldVal.length, a.coldTest.length]).toEqual([800, 100, 100]);
    expect(b).toEqual(a);
    expect(c.coldTest).not.toEqual(a.coldTest);
    const all = [...a.warm, ...a.coldVal, ...a.coldTest];
    expect(new Set(all).size).toBe(1000);
    expect(() => splitColdItems(ids, { seed: 1, fractions: [0.5, 0.5, 0.5] })).toThrow(InvalidInputError);
  });
});

describe('ColdStartData', () => {
  const ds = synthetic();
  const data = ColdStartData.build(ds, { seed: 3 });
  const cold = new Set([...data.split.coldVal, ...data.split.coldTest]);

  it('keeps every interaction of a cold item out of training', () => {
    expect(data.train.length).toBeGreaterThan(0);
    expect(data.train.some((x) => cold.has(x.itemId))).toBe(false);
    expect(data.warmHoldout.some((x) => cold.has(x.itemId))).toBe(false);
    expect(data.train.length + data.warmHoldout.length + data.coldVal.length + data.coldTest.length).toBe(
      ds.interactions.length,
    );
  });

  it('gives every cold-test item at least one test interaction', () => {
    const seen = new Set(data.coldTest.map((x) => x.itemId));
    expect(data.split.coldTest.every((i) => seen.has(i))).toBe(true);
  });

  it('never holds out a warm item’s last training interaction', () => {
    const trainItems = new Set(data.train.map((x) => x.itemId));
    expect(data.split.warm.every((i) => trainItems.has(i))).toBe(true);
    expect(data.warmHoldout.length).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    const again = ColdStartData.build(ds, { seed: 3 });
    expect(again.split).toEqual(data.split);
    expect(again.warmHoldout).toEqual(data.warmHoldout);
  });

  it('cold task ranks only cold-test items for users with a cold-test positive (rating ≥ 4)', () => {
    const t = data.task('cold', 'test');
    expect(new Set(t.candidates)).toEqual(new Set(data.split.coldTest));
    const expectedUsers = new Set(data.coldTest.filter((x) => x.rating! >= 4).map((x) => x.userId));
    expect(new Set(t.users)).toEqual(expectedUsers);
    for (const u of t.users) {
      const rel = t.relevant.get(u)!;
      expect(rel.size).toBeGreaterThan(0);
      for (const i of rel) expect(data.split.coldTest.includes(i)).toBe(true);
    }
    expect(t.exclude.size).toBe(0);
  });

  it('warm and all tasks exclude training items and mix candidates', () => {
    const w = data.task('warm');
    const a = data.task('all');
    expect(new Set(w.candidates)).toEqual(new Set(data.split.warm));
    expect(a.candidates.length).toBe(data.split.warm.length + data.split.coldTest.length);
    const u = a.users[0];
    for (const i of a.exclude.get(u)!) expect(a.relevant.get(u)!.has(i)).toBe(false);
    expect(a.users.length).toBeGreaterThanOrEqual(w.users.length);
  });

  it('implicit feedback makes every interaction a positive', () => {
    const implicit = ColdStartData.build({ ...ds, positive: IMPLICIT_POSITIVE }, { seed: 3 });
    expect(implicit.trainPositives()).toHaveLength(implicit.train.length);
    expect(data.trainPositives().length).toBeLessThan(data.train.length);
  });
});

describe('item content builders', () => {
  it('MovieLens: title, genres, overview, tagline; user tags only with the flag', () => {
    const input = {
      movies: [{ movieId: 1, title: 'Toy Story', year: 1995, genres: ['Animation', 'Comedy'] }, { movieId: 2, title: 'X', genres: [] }],
      overviews: [{ movieId: 1, overview: 'Toys live.', tagline: 'Hang on' }],
      tags: [{ movieId: 1, tag: 'pixar' }],
    };
    const plain = buildMovieLensContents(input);
    expect(plain.get(1)!.fields).toEqual({ title: 'Toy Story', year: '1995', genres: 'Animation | Comedy', overview: 'Toys live.', tagline: 'Hang on' });
    expect(plain.get(2)!.fields).toEqual({ title: 'X' });
    expect(buildMovieLensContents(input, { includeUserTags: true }).get(1)!.fields.userTags).toBe('pixar');
  });

  it('CiteULike: tag names and citation neighbours', () => {
    const c = buildCiteULikeContents({
      itemTags: [{ id: 0, values: [1, 0] }, { id: 1, values: [] }],
      tagNames: [{ tagId: 0, tag: 'ml' }, { tagId: 1, tag: 'bio' }],
      citations: [{ id: 0, values: [1] }],
    });
    expect(c.get(0)).toEqual({ itemId: 0, fields: { tags: 'bio | ml' }, neighbours: [1] });
    expect(c.get(1)).toEqual({ itemId: 1, fields: {} });
  });
});
