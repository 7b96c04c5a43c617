import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, DimensionMismatchError, InvalidInputError, NotFoundError } from '@tessera/common';
import { scaledFastSigmoid, type PointStruct, type VectorStore } from '@tessera/vector-store';

export interface ContractTarget {
  store: VectorStore;
  /** Called after the suite (close the store, stop servers, remove folders). */
  cleanup: () => Promise<void>;
}

let counter = 0;
/** Unique names so a shared Qdrant keeps suites apart. */
function name(prefix: string): string {
  return `ct_${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

/** Points on known directions, Dot distance, so every score is hand-checkable. */
const DOT_POINTS: PointStruct[] = [
  { id: 1, vector: [1, 0, 0, 0], payload: { colour: 'red', size: 1, tags: ['a', 'b'], meta: { lang: 'en' } } },
  { id: 2, vector: [0.9, 0.1, 0, 0], payload: { colour: 'red', size: 2, tags: ['b'], meta: { lang: 'fr' } } },
  { id: 3, vector: [0, 1, 0, 0], payload: { colour: 'blue', size: 3, tags: [], meta: { lang: 'en' } } },
  { id: 4, vector: [0, 0, 1, 0], payload: { colour: 'green', size: 4, note: null } },
  { id: 5, vector: [0.5, 0.5, 0, 0], payload: { colour: 'blue', size: 5, tags: ['c'] } },
  { id: 6, vector: [0, 0, 0, 1], payload: {} },
];

function ids(points: { id: unknown }[]): unknown[] {
  return points.map((p) => p.id);
}

/**
 * The one contract both implementations pass. `make` gives a fresh store (or a shared one);
 * every test creates its own collections.
 */
export function describeVectorStoreContract(title: string, make: () => Promise<ContractTarget>): void {
  describe(title, () => {
    let target: ContractTarget;
    let store: VectorStore;
    let dotCol: string;

    beforeAll(async () => {
      target = await make();
      store = target.store;
      dotCol = name('dot');
      await store.createCollection(dotCol, { vectors: { size: 4, distance: 'Dot' } });
      await store.upsert(dotCol, DOT_POINTS);
    });
    afterAll(async () => {
      await target?.cleanup();
    });

    it('creates, lists, describes and deletes collections; refuses duplicates and unknown names', async () => {
      const c = name('life');
      await store.createCollection(c, { vectors: { size: 3, distance: 'Cosine' } });
      expect(await store.collectionExists(c)).toBe(true);
      expect(await store.listCollections()).toContain(c);
      const info = await store.getCollection(c);
      expect(info.vectors).toEqual({ size: 3, distance: 'Cosine' });
      expect(info.pointsCount).toBe(0);
      await expect(store.createCollection(c, { vectors: { size: 3, distance: 'Cosine' } })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await store.deleteCollection(c)).toBe(true);
      expect(await store.collectionExists(c)).toBe(false);
      expect(await store.deleteCollection(c)).toBe(false);
      await expect(store.getCollection(c)).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        store.createCollection(name('bad'), { vectors: { size: 0, distance: 'Cosine' } }),
      ).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('round-trips points: payloads exactly, Cosine vectors normalised, ids in the asked order', async () => {
      const c = name('rt');
      await store.createCollection(c, { vectors: { size: 2, distance: 'Cosine' } });
      const uuid = 'A1B2C3D4-0000-4000-8000-00000000000A';
      const res = await store.upsert(c, [
        { id: 7, vector: [3, 4], payload: { title: 'x', nested: { deep: [1, 2, { k: true }] }, n: 1.5 } },
        { id: uuid, vector: new Float32Array([0, 2]), payload: null },
      ]);
      expect(res).toEqual({ upserted: 2, rejected: [] });
      const got = await store.get(c, [uuid, 7, 999], { withVector: true });
      expect(ids(got)).toEqual([uuid.toLowerCase(), 7]);
      expect(got[1].payload).toEqual({ title: 'x', nested: { deep: [1, 2, { k: true }] }, n: 1.5 });
      expect(got[0].payload).toEqual({});
      expect(got[1].vector as number[]).toEqual([expect.closeTo(0.6, 5), expect.closeTo(0.8, 5)]);
      expect((await store.get(c, [7], { withPayload: false }))[0].payload).toBeUndefined();
      // upsert replaces
      await store.upsert(c, [{ id: 7, vector: [1, 0], payload: { title: 'y' } }]);
      expect(await store.count(c)).toBe(2);
      expect((await store.get(c, [7]))[0].payload).toEqual({ title: 'y' });
    });

    it('searches with exact Dot scores, limit, offset, scoreThreshold, exclude and vectors', async () => {
      const hits = await store.search(dotCol, { vector: [1, 0, 0, 0], limit: 3 });
      expect(ids(hits)).toEqual([1, 2, 5]);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(1, 5), expect.closeTo(0.9, 5), expect.closeTo(0.5, 5)]);
      expect(hits[0].payload).toMatchObject({ colour: 'red' });
      expect(ids(await store.search(dotCol, { vector: [1, 0, 0, 0], limit: 2, offset: 1 }))).toEqual([2, 5]);
      expect(ids(await store.search(dotCol, { vector: [1, 0, 0, 0], limit: 10, scoreThreshold: 0.6 }))).toEqual([1, 2]);
      expect(ids(await store.search(dotCol, { vector: [1, 0, 0, 0], limit: 1, exclude: [1, 5] }))).toEqual([2]);
      const excluded = await store.search(dotCol, { vector: [1, 0, 0, 0], limit: 10, exclude: [1, 5] });
      expect(ids(excluded)).not.toContain(1);
      expect(ids(excluded)).not.toContain(5);
      expect(excluded).toHaveLength(4);
      const withVec = await store.search(dotCol, {
        vector: [0, 0, 1, 0],
        limit: 1,
        withVector: true,
        withPayload: false,
      });
      expect(withVec[0]).toMatchObject({ id: 4, vector: [0, 0, 1, 0] });
      expect(withVec[0].payload).toBeUndefined();
    });

    it('reports Euclid distances, smallest first, with the threshold as a maximum distance', async () => {
      const c = name('l2');
      await store.createCollection(c, { vectors: { size: 2, distance: 'Euclid' } });
      await store.upsert(c, [
        { id: 1, vector: [0, 0] },
        { id: 2, vector: [3, 4] },
        { id: 3, vector: [1, 0] },
      ]);
      const hits = await store.search(c, { vector: [0, 0], limit: 3 });
      expect(ids(hits)).toEqual([1, 3, 2]);
      expect(hits.map((h) => h.score)).toEqual([expect.closeTo(0, 5), expect.closeTo(1, 5), expect.closeTo(5, 4)]);
      expect(ids(await store.search(c, { vector: [0, 0], limit: 3, scoreThreshold: 2 }))).toEqual([1, 3]);
    });

    it('filters with must, should, must_not over match value/any/except, range, has_id, nested keys and arrays', async () => {
      const q = { vector: [1, 1, 1, 1], limit: 10 };
      const sorted = async (filter: object) => (ids(await store.search(dotCol, { ...q, filter })) as number[]).sort();
      expect(await sorted({ must: [{ key: 'colour', match: { value: 'red' } }] })).toEqual([1, 2]);
      expect(await sorted({ must: [{ key: 'colour', match: { any: ['red', 'green'] } }] })).toEqual([1, 2, 4]);
      expect(await sorted({ must: [{ key: 'colour', match: { except: ['red', 'green'] } }] })).toEqual([3, 5]);
      expect(await sorted({ must: [{ key: 'size', range: { gte: 2, lt: 5 } }] })).toEqual([2, 3, 4]);
      expect(
        await sorted({
          should: [
            { key: 'size', range: { lte: 1 } },
            { key: 'colour', match: { value: 'green' } },
          ],
        }),
      ).toEqual([1, 4]);
      expect(await sorted({ must_not: [{ key: 'colour', match: { value: 'blue' } }] })).toEqual([1, 2, 4, 6]);
      expect(await sorted({ must: [{ has_id: [2, 3, 6] }] })).toEqual([2, 3, 6]);
      expect(await sorted({ must: [{ key: 'tags', match: { value: 'b' } }] })).toEqual([1, 2]);
      expect(await sorted({ must: [{ key: 'meta.lang', match: { value: 'en' } }] })).toEqual([1, 3]);
      expect(
        await sorted({
          must: [{ should: [{ key: 'colour', match: { value: 'blue' } }, { has_id: [1] }] }],
          must_not: [{ has_id: [5] }],
        }),
      ).toEqual([1, 3]);
      expect(await sorted({ must: [{ key: 'nothing_here', match: { value: 'x' } }] })).toEqual([]);
      expect(await sorted({ must: [{ is_empty: { key: 'tags' } }] })).toEqual([3, 4, 6]);
      expect(await sorted({ must: [{ is_null: { key: 'note' } }] })).toEqual([4]);
    });

    it('counts and scrolls in id order with a page token, with and without a filter', async () => {
      expect(await store.count(dotCol)).toBe(6);
      expect(await store.count(dotCol, { must: [{ key: 'colour', match: { value: 'blue' } }] })).toBe(2);
      const seen: unknown[] = [];
      let offset: number | string | null = null;
      let pages = 0;
      do {
        const page = await store.scroll(dotCol, { limit: 4, offset });
        seen.push(...ids(page.points));
        offset = page.nextPageOffset;
        pages++;
      } while (offset !== null);
      expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
      expect(pages).toBe(2);
      const blue = await store.scroll(dotCol, {
        filter: { must: [{ key: 'colour', match: { value: 'blue' } }] },
        limit: 1,
      });
      expect(ids(blue.points)).toEqual([3]);
      expect(blue.nextPageOffset).toBe(5);
    });

    it('deletes by ids and by filter', async () => {
      const c = name('del');
      await store.createCollection(c, { vectors: { size: 4, distance: 'Dot' } });
      await store.upsert(c, DOT_POINTS);
      await store.delete(c, { ids: [1, 42] });
      expect(await store.count(c)).toBe(5);
      await store.delete(c, { filter: { must: [{ key: 'colour', match: { value: 'blue' } }] } });
      expect((ids((await store.scroll(c, { limit: 10 })).points) as number[]).sort()).toEqual([2, 4, 6]);
      expect(await store.get(c, [1, 3])).toEqual([]);
    });

    it('recommends with average_vector as Qdrant defines it: avg(pos) + (avg(pos) - avg(neg)), examples left out', async () => {
      // target = 2 * [1,0,0,0] - [0,1,0,0] = [2,-1,0,0]
      // scores against the target: 2 → 1.7, 5 → 0.5, then a tie at 0 (4 and 6), so compare the top two
      const rec = await store.recommend(dotCol, { positive: [1], negative: [3], limit: 2 });
      const direct = await store.search(dotCol, { vector: [2, -1, 0, 0], limit: 2, exclude: [1, 3] });
      expect(ids(rec)).toEqual([2, 5]);
      expect(ids(direct)).toEqual([2, 5]);
      expect(rec[0].score).toBeCloseTo(direct[0].score, 4);
      expect(ids(rec)).not.toContain(1);
      const byVector = await store.recommend(dotCol, { positive: [[0, 0, 1, 0]], limit: 1 });
      expect(ids(byVector)).toEqual([4]);
      await expect(store.recommend(dotCol, { negative: [3], limit: 3 })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.recommend(dotCol, { positive: [404], limit: 3 })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('recommends with best_score: near a positive scores the squashed best positive, near a negative scores below zero', async () => {
      const rec = await store.recommend(dotCol, {
        positive: [[1, 0, 0, 0]],
        negative: [[0, 0, 0, 1]],
        strategy: 'best_score',
        limit: 6,
      });
      expect(ids(rec).slice(0, 2)).toEqual([1, 2]);
      expect(rec[0].score).toBeCloseTo(scaledFastSigmoid(1), 4);
      const last = rec[rec.length - 1];
      expect(last.id).toBe(6);
      expect(last.score).toBeLessThan(0);
      const negOnly = await store.recommend(dotCol, { negative: [[1, 0, 0, 0]], strategy: 'best_score', limit: 6 });
      expect(negOnly).toHaveLength(6);
      expect(ids(negOnly).indexOf(1)).toBeGreaterThan(ids(negOnly).indexOf(3));
      const sum = await store.recommend(dotCol, {
        positive: [[1, 0, 0, 0]],
        negative: [[0, 1, 0, 0]],
        strategy: 'sum_scores',
        limit: 1,
      });
      expect(sum[0]).toMatchObject({ id: 1, score: expect.closeTo(1, 4) });
    });

    it('answers batch searches and recommendations like the single calls', async () => {
      const reqs = [
        { vector: [1, 0, 0, 0], limit: 2 },
        { vector: [0, 1, 0, 0], limit: 2, filter: { must: [{ key: 'colour', match: { value: 'blue' } }] } },
      ];
      const batch = await store.searchBatch(dotCol, reqs);
      expect(batch.map(ids)).toEqual([
        ids(await store.search(dotCol, reqs[0])),
        ids(await store.search(dotCol, reqs[1])),
      ]);
      const recs = await store.recommendBatch(dotCol, [
        { positive: [4], limit: 2 },
        { positive: [1], negative: [3], limit: 2 },
      ]);
      expect(recs.map(ids)).toEqual([
        ids(await store.recommend(dotCol, { positive: [4], limit: 2 })),
        ids(await store.recommend(dotCol, { positive: [1], negative: [3], limit: 2 })),
      ]);
    });

    it('keeps named vectors apart and asks which one to search', async () => {
      const c = name('named');
      await store.createCollection(c, {
        vectors: { image: { size: 2, distance: 'Dot' }, text: { size: 3, distance: 'Cosine' } },
      });
      await store.upsert(c, [
        { id: 1, vector: { image: [1, 0], text: [0, 0, 1] } },
        { id: 2, vector: { image: [0, 1], text: [1, 0, 0] } },
      ]);
      expect(ids(await store.search(c, { vector: [1, 0], using: 'image', limit: 1 }))).toEqual([1]);
      expect(ids(await store.search(c, { vector: [1, 0, 0], using: 'text', limit: 1 }))).toEqual([2]);
      await expect(store.search(c, { vector: [1, 0], limit: 1 })).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.upsert(c, [{ id: 3, vector: { image: [1, 0] } }])).rejects.toBeInstanceOf(InvalidInputError);
      const got = await store.get(c, [1], { withVector: true });
      expect(got[0].vector).toEqual({ image: [1, 0], text: [0, 0, 1] });
    });

    it('swaps an alias atomically from one collection to another', async () => {
      const v1 = name('v1');
      const v2 = name('v2');
      const alias = name('alias');
      for (const [c, id] of [
        [v1, 1],
        [v2, 2],
      ] as const) {
        await store.createCollection(c, { vectors: { size: 2, distance: 'Dot' } });
        await store.upsert(c, [{ id, vector: [1, 0] }]);
      }
      await store.swapAlias(alias, v1);
      expect(ids(await store.search(alias, { vector: [1, 0] }))).toEqual([1]);
      await store.swapAlias(alias, v2);
      expect(ids(await store.search(alias, { vector: [1, 0] }))).toEqual([2]);
      expect(await store.listAliases()).toContainEqual({ alias, collection: v2 });
      await store.updateAliases([{ renameAlias: { from: alias, to: `${alias}_r` } }]);
      expect(await store.count(`${alias}_r`)).toBe(1);
      await store.updateAliases([{ deleteAlias: { alias: `${alias}_r` } }]);
      expect((await store.listAliases()).map((a) => a.alias)).not.toContain(`${alias}_r`);
    });

    it('exports a snapshot and imports it as a new collection with the same points', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-snap-'));
      try {
        const path = join(dir, 'dot.jsonl');
        const info = await store.exportSnapshot(dotCol, path, 4);
        expect(info.points).toBe(6);
        const copy = name('copy');
        const imported = await store.importSnapshot(path, { collection: copy });
        expect(imported).toMatchObject({ collection: copy, points: 6 });
        expect(await store.getCollection(copy)).toMatchObject({
          vectors: { size: 4, distance: 'Dot' },
          pointsCount: 6,
        });
        expect(await store.get(copy, [1, 5])).toEqual(await store.get(dotCol, [1, 5]));
        expect(ids(await store.search(copy, { vector: [1, 1, 0, 0], limit: 3 }))).toEqual(
          ids(await store.search(dotCol, { vector: [1, 1, 0, 0], limit: 3 })),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    describe('bad input: a typed error naming the point or field, the store untouched', () => {
      const before = async () => ({
        count: await store.count(dotCol),
        p1: await store.get(dotCol, [1], { withVector: true }),
      });
      const untouched = async (snap: Awaited<ReturnType<typeof before>>) => {
        expect(await store.count(dotCol)).toBe(snap.count);
        expect(await store.get(dotCol, [1], { withVector: true })).toEqual(snap.p1);
      };

      it('wrong dimension', async () => {
        const snap = await before();
        const err = await store
          .upsert(dotCol, [
            { id: 1, vector: [9, 9, 9, 9] },
            { id: 77, vector: [1, 2, 3] },
          ])
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DimensionMismatchError);
        expect((err as Error).message).toMatch(/point 77 .*3 dimensions.*expects 4/);
        await untouched(snap);
        await expect(store.search(dotCol, { vector: [1, 0] })).rejects.toBeInstanceOf(DimensionMismatchError);
      });

      it('NaN and Infinity in a vector', async () => {
        const snap = await before();
        const err = await store.upsert(dotCol, [{ id: 1, vector: [0, Number.NaN, 0, 0] }]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toMatch(/point 1 .*vector\[1\] is NaN/);
        await expect(store.upsert(dotCol, [{ id: 8, vector: [0, 0, Infinity, 0] }])).rejects.toThrow(
          /point 8 .*vector\[2\]/,
        );
        await expect(store.search(dotCol, { vector: [0, 0, -Infinity, 0] })).rejects.toBeInstanceOf(InvalidInputError);
        await untouched(snap);
      });

      it('unknown collection', async () => {
        await expect(store.upsert(name('missing'), [{ id: 1, vector: [1] }])).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.search(name('missing'), { vector: [1] })).rejects.toBeInstanceOf(NotFoundError);
      });

      it('duplicate ids in one batch', async () => {
        const snap = await before();
        const err = await store
          .upsert(dotCol, [
            { id: 1, vector: [5, 5, 5, 5] },
            { id: 1, vector: [6, 6, 6, 6] },
          ])
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidInputError);
        expect((err as Error).message).toMatch(/point 1 \(index 1\) appears twice/);
        await untouched(snap);
      });

      it('payloads that are not JSON', async () => {
        const snap = await before();
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        const cases: [unknown, RegExp][] = [
          [{ big: BigInt(1) }, /payload\.big is a bigint/],
          [{ f: () => 1 }, /payload\.f is a function/],
          [circular, /payload\.self is a circular reference/],
          [{ when: new Date(0) }, /payload\.when is a Date object/],
          [{ x: { y: Number.NaN } }, /payload\.x\.y is NaN/],
        ];
        for (const [payload, message] of cases) {
          await expect(
            store.upsert(dotCol, [{ id: 1, vector: [1, 1, 1, 1], payload: payload as never }]),
          ).rejects.toThrow(message);
        }
        await untouched(snap);
      });

      it('filters that name no field, or malformed conditions', async () => {
        await expect(
          store.search(dotCol, { vector: [1, 0, 0, 0], filter: { must: [{ match: { value: 'x' } } as never] } }),
        ).rejects.toThrow(/filter\.must\[0\]/);
        await expect(store.count(dotCol, { must: [{ key: 'colour' } as never] })).rejects.toThrow(
          /field 'colour' has no match/,
        );
        await expect(
          store.scroll(dotCol, { filter: { must: [{ key: 'size', range: { gte: 'a' } } as never] } }),
        ).rejects.toBeInstanceOf(InvalidInputError);
      });

      it('bad ids', async () => {
        await expect(store.upsert(dotCol, [{ id: -1, vector: [1, 0, 0, 0] }])).rejects.toThrow(
          /-1 is not an unsigned integer or a UUID/,
        );
        await expect(store.upsert(dotCol, [{ id: 'not-a-uuid', vector: [1, 0, 0, 0] }])).rejects.toBeInstanceOf(
          InvalidInputError,
        );
      });

      it('with onInvalid: skip, writes the good points and reports the bad ones', async () => {
        const c = name('skip');
        await store.createCollection(c, { vectors: { size: 2, distance: 'Dot' } });
        const res = await store.upsert(
          c,
          [
            { id: 1, vector: [1, 0] },
            { id: 2, vector: [1] },
            { id: 3, vector: [0, 1], payload: { bad: undefined } },
            { id: 4, vector: [1, 1] },
          ],
          { onInvalid: 'skip' },
        );
        expect(res.upserted).toBe(2);
        expect(res.rejected.map((r) => [r.index, r.id, r.error.constructor.name])).toEqual([
          [1, 2, 'DimensionMismatchError'],
          [2, 3, 'InvalidInputError'],
        ]);
        expect((ids(await store.get(c, [1, 2, 3, 4])) as number[]).sort()).toEqual([1, 4]);
      });
    });

    it('answers ping and describe for /health/ready and tessera doctor', async () => {
      const health = await store.ping();
      expect(health.ok).toBe(true);
      expect(['embedded', 'qdrant']).toContain(health.kind);
      expect(store.describe().kind).toBe(health.kind);
    });
  });
}
