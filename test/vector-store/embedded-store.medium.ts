import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, Rng } from '@tessera/common';
import { EmbeddedVectorStore, type PointStruct } from '@tessera/vector-store';

const DIM = 16;

function points(rng: Rng, from: number, count: number, groups = 100): PointStruct[] {
  return Array.from({ length: count }, (_, i) => ({
    id: from + i,
    vector: Array.from({ length: DIM }, () => rng.normal()),
    payload: { group: (from + i) % groups, even: (from + i) % 2 === 0 },
  }));
}

/** Simulates a crash: the SQLite handle goes away without the index checkpoint that close() writes. */
function crash(store: EmbeddedVectorStore): void {
  (store as unknown as { db: { close(): void } }).db.close();
}

describe('embedded vector store on disk', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'tessera-emb-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reopens with the same collections, points, payloads and aliases', async () => {
    const dir = newDir();
    const a = new EmbeddedVectorStore({ dir });
    await a.createCollection('items', { vectors: { size: DIM, distance: 'Cosine' } });
    await a.upsert('items', points(new Rng(1), 0, 300));
    await a.delete('items', { ids: [5, 6] });
    await a.swapAlias('items_live', 'items');
    const before = await a.search('items_live', { vector: points(new Rng(9), 0, 1)[0].vector as number[], limit: 5 });
    await a.close();
    const b = new EmbeddedVectorStore({ dir });
    expect(await b.count('items')).toBe(298);
    expect(await b.get('items', [5, 7])).toEqual([{ id: 7, payload: { group: 7, even: false } }]);
    expect(await b.search('items_live', { vector: points(new Rng(9), 0, 1)[0].vector as number[], limit: 5 })).toEqual(
      before,
    );
    await b.close();
  });

  it('keeps checkpoints of collections whose names share a prefix apart', async () => {
    const dir = newDir();
    const opts = { dir, exactThreshold: 10 };
    const a = new EmbeddedVectorStore(opts);
    for (const c of ['a', 'a.b']) {
      await a.createCollection(c, { vectors: { size: DIM, distance: 'Dot' } });
      await a.upsert(c, points(new Rng(6), 0, 50));
      await a.buildIndex(c);
    }
    await a.deleteCollection('a');
    await a.close();
    const b = new EmbeddedVectorStore(opts);
    expect((await b.getCollection('a.b')).detail).toMatchObject({ index: 'hnswlib hnsw' }); // loaded, not rebuilt
    await b.close();
  });

  it('refuses a second process-level opener of the same folder', async () => {
    const dir = newDir();
    const a = new EmbeddedVectorStore({ dir });
    expect(() => new EmbeddedVectorStore({ dir })).toThrow(ConflictError);
    await a.close();
    const b = new EmbeddedVectorStore({ dir });
    expect(await b.listCollections()).toEqual([]);
    await b.close();
  });

  it('reconciles a checkpointed graph with writes and deletes made after it', async () => {
    const dir = newDir();
    const rng = new Rng(2);
    const opts = { dir, exactThreshold: 100, checkpointEvery: 1_000_000 };
    const a = new EmbeddedVectorStore(opts);
    await a.createCollection('c', { vectors: { size: DIM, distance: 'Euclid' } });
    const first = points(rng, 0, 600);
    await a.upsert('c', first);
    await a.buildIndex('c');
    await a.close(); // checkpoint
    const b = new EmbeddedVectorStore(opts);
    const moved = { id: 10, vector: Array.from({ length: DIM }, () => 50), payload: { moved: true } };
    await b.upsert('c', [moved, ...points(rng, 600, 200)]);
    await b.delete('c', { ids: [0, 1, 2] });
    crash(b);
    const c = new EmbeddedVectorStore(opts);
    expect((await c.getCollection('c')).detail).toMatchObject({ index: 'hnswlib hnsw' });
    expect(await c.count('c')).toBe(797);
    const hit = await c.search('c', { vector: moved.vector, limit: 1 });
    expect(hit[0]).toMatchObject({ id: 10, payload: { moved: true }, score: expect.closeTo(0, 4) });
    const gone = await c.search('c', { vector: first[0].vector as number[], limit: 50 });
    expect(gone.map((h) => h.id)).not.toContain(0);
    const late = await c.get('c', [700], { withVector: true });
    const found = await c.search('c', { vector: late[0].vector as number[], limit: 1 });
    expect(found[0].id).toBe(700);
    await c.close();
  });

  it('rebuilds the graph from the rows when a checkpoint file is corrupt', async () => {
    const dir = newDir();
    const opts = { dir, exactThreshold: 100 };
    const a = new EmbeddedVectorStore(opts);
    await a.createCollection('c', { vectors: { size: DIM, distance: 'Dot' } });
    const pts = points(new Rng(3), 0, 400);
    await a.upsert('c', pts);
    const q = pts[17].vector as number[];
    const expected = await a.search('c', { vector: q, limit: 3 });
    await a.buildIndex('c');
    await a.close();
    const file = readdirSync(join(dir, 'index')).find((f) => f.endsWith('.hnsw'))!;
    writeFileSync(join(dir, 'index', file), Buffer.alloc(64, 7));
    const b = new EmbeddedVectorStore(opts);
    expect((await b.getCollection('c')).detail).toMatchObject({ index: 'exact' }); // graph dropped, rows intact
    expect((await b.search('c', { vector: q, limit: 3 })).map((h) => h.id)).toEqual(expected.map((h) => h.id));
    expect((await b.getCollection('c')).detail).toMatchObject({ index: 'exact (building hnswlib hnsw)' });
    await b.buildIndex('c');
    expect((await b.getCollection('c')).detail).toMatchObject({ index: 'hnswlib hnsw' });
    expect((await b.search('c', { vector: q, limit: 3 })).map((h) => h.id)).toEqual(expected.map((h) => h.id));
    await b.close();
  });

  it('answers selective filters exactly above the graph threshold (no missing hits)', async () => {
    const rng = new Rng(4);
    const store = new EmbeddedVectorStore({ exactThreshold: 500 });
    const exact = new EmbeddedVectorStore({ exactThreshold: Number.POSITIVE_INFINITY });
    for (const s of [store, exact]) await s.createCollection('c', { vectors: { size: DIM, distance: 'Cosine' } });
    const pts = points(rng, 0, 6000);
    await store.upsert('c', pts, { batchSize: 2000 });
    await exact.upsert('c', pts, { batchSize: 2000 });
    await store.buildIndex('c');
    const filters = [
      { must: [{ key: 'group', match: { value: 3 } }] }, // 1%
      { must: [{ key: 'group', range: { lt: 10 } }] }, // 10%
      { must: [{ key: 'group', range: { lt: 15 } }], must_not: [{ key: 'even', match: { value: true } }] },
    ];
    for (let i = 0; i < 20; i++) {
      const vector = Array.from({ length: DIM }, () => rng.normal());
      for (const filter of filters) {
        const got = await store.search('c', { vector, limit: 10, filter, exclude: [i] });
        const want = await exact.search('c', { vector, limit: 10, filter, exclude: [i] });
        expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      }
    }
    await store.close();
    await exact.close();
  });
});

describe('background graph build', () => {
  it('answers exactly while the graph builds, takes writes and deletes made meanwhile, then serves from the graph', async () => {
    const rng = new Rng(5);
    const store = new EmbeddedVectorStore({ exactThreshold: 1000 });
    await store.createCollection('c', { vectors: { size: DIM, distance: 'Euclid' } });
    await store.upsert('c', points(rng, 0, 5000), { batchSize: 5000 });
    const q = Array.from({ length: DIM }, () => rng.normal());
    const exactFirst = await store.search('c', { vector: q, limit: 5 }); // starts the build
    expect((await store.getCollection('c')).detail).toMatchObject({ index: 'exact (building hnswlib hnsw)' });
    // let the builder pass some slots, then write behind and ahead of its cursor
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await store.delete('c', { ids: [exactFirst[0].id] });
    const far = Array.from({ length: DIM }, () => 100);
    await store.upsert('c', [
      { id: 3, vector: far },
      { id: 6000, vector: far.map((x) => -x) },
    ]);
    await store.buildIndex('c');
    expect((await store.getCollection('c')).detail).toMatchObject({ index: 'hnswlib hnsw' });
    expect((await store.search('c', { vector: far, limit: 1 }))[0].id).toBe(3);
    expect((await store.search('c', { vector: far.map((x) => -x), limit: 1 }))[0].id).toBe(6000);
    const after = await store.search('c', { vector: q, limit: 5 });
    expect(after.map((h) => h.id)).not.toContain(exactFirst[0].id);
    expect(after[0].id).toBe(exactFirst[1].id);
    await store.close();
  });
});
