import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsSharedData } from '@tessera/testing';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@tessera/common';
import {
  EmbeddedVectorStore,
  migrateVectorStore,
  QdrantVectorStore,
  VectorStore,
  VectorStoreModule,
} from '@tessera/vector-store';
import { FakeQdrantServer } from './fake-qdrant.server';
import { describeVectorStoreContract } from './vector-store.contract';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-vs-'));
}

describeVectorStoreContract('contract: embedded (exact path)', async () => {
  const dir = tempDir();
  const store = new EmbeddedVectorStore({ dir });
  return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

// the same suite with the HNSW graph answering every unfiltered query, however small the collection
describeVectorStoreContract('contract: embedded (HNSW graph path)', async () => {
  const dir = tempDir();
  const store = new EmbeddedVectorStore({ dir, exactThreshold: 0, exactFilterFraction: 0, backgroundBuild: false });
  return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

const openapi = needsSharedData('qdrant', 'openapi.json');
describe.skipIf(openapi.skip)(`contract: Qdrant adapter against the fake Qdrant server${openapi.reason}`, () => {
  let fake: FakeQdrantServer;
  let url: string;
  beforeAll(async () => {
    fake = new FakeQdrantServer(openapi.path);
    url = await fake.start();
  });
  afterAll(async () => {
    await fake?.stop();
  });

  describeVectorStoreContract('Qdrant adapter', async () => {
    const store = new QdrantVectorStore({ url, shards: 3, replicationFactor: 2, writeConsistency: 2, retryDelayMs: 1 });
    return { store, cleanup: () => store.close() };
  });

  describe('wire behaviour', () => {
    let store: QdrantVectorStore;
    beforeAll(() => {
      store = new QdrantVectorStore({
        url,
        shards: 3,
        replicationFactor: 2,
        writeConsistency: 2,
        retryDelayMs: 1,
        attempts: 3,
      });
    });

    it('creates collections with the configured shard_number, replication_factor and write_consistency_factor', async () => {
      await store.createCollection('wire_create', { vectors: { size: 2, distance: 'Cosine' } });
      const req = fake.requests.find((r) => r.method === 'PUT' && r.path === '/collections/wire_create');
      expect(req?.body).toMatchObject({
        vectors: { size: 2, distance: 'Cosine' },
        shard_number: 3,
        replication_factor: 2,
        write_consistency_factor: 2,
      });
      expect((await store.getCollection('wire_create')).detail).toMatchObject({
        shards: 3,
        replicationFactor: 2,
        writeConsistency: 2,
      });
    });

    it('waits for writes and sends exclude as must_not has_id beside the caller filter', async () => {
      await store.upsert('wire_create', [
        { id: 1, vector: [1, 0] },
        { id: 2, vector: [0, 1] },
      ]);
      const upsert = fake.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/points')).pop();
      expect(upsert?.query.wait).toBe('true');
      await store.search('wire_create', { vector: [1, 0], exclude: [2], filter: { must: [{ has_id: [1, 2] }] } });
      const q = fake.requests.filter((r) => r.path.endsWith('/points/query')).pop();
      expect(q?.body).toMatchObject({
        filter: { must: [{ must: [{ has_id: [1, 2] }] }], must_not: [{ has_id: [2] }] },
        limit: 10,
      });
      await store.recommend('wire_create', { positive: [1], negative: [[0, 1]], strategy: 'best_score' });
      const r = fake.requests.filter((x) => x.path.endsWith('/points/query')).pop();
      expect(r?.body).toMatchObject({
        query: { recommend: { positive: [1], negative: [[0, 1]], strategy: 'best_score' } },
      });
    });

    it('retries transient failures and then succeeds', async () => {
      fake.failNext(2, 503, '/points');
      const res = await store.upsert('wire_create', [{ id: 3, vector: [1, 1] }]);
      expect(res.upserted).toBe(1);
      expect(await store.count('wire_create')).toBe(3);
    });

    it('never swallows a failed write: after the retries it throws, naming what was written', async () => {
      fake.failNext(10, 502, '/points');
      const err = await store.upsert('wire_create', [{ id: 4, vector: [1, 1] }]).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'upstream_unavailable' });
      expect((err as Error).message).toMatch(/0 already written.*failed after 3 attempts/);
      fake.failNext(0, 200);
      expect(await store.get('wire_create', [4])).toEqual([]);
    });

    it('does not retry a request Qdrant rejects as invalid', async () => {
      fake.failNext(1, 400, '/points/count');
      await expect(store.count('wire_create')).rejects.toMatchObject({ code: 'invalid_input' });
      expect(await store.count('wire_create')).toBe(3);
    });

    it('reports an unreachable server as unavailable in ping', async () => {
      const dead = new QdrantVectorStore({ url: 'http://127.0.0.1:9', retryDelayMs: 1, attempts: 1 });
      const health = await dead.ping();
      expect(health).toMatchObject({ ok: false, kind: 'qdrant' });
    });

    it('migrates embedded -> Qdrant -> embedded with points, payloads, vectors and aliases intact', async () => {
      const dirA = tempDir();
      const dirB = tempDir();
      const a = new EmbeddedVectorStore({ dir: dirA });
      const b = new EmbeddedVectorStore({ dir: dirB });
      try {
        await a.createCollection('mig_items', { vectors: { size: 3, distance: 'Cosine' } });
        const pts = Array.from({ length: 700 }, (_, i) => ({
          id: i,
          vector: [Math.cos(i), Math.sin(i), 0.5],
          payload: { i, even: i % 2 === 0 },
        }));
        await a.upsert('mig_items', pts);
        await a.swapAlias('mig_live', 'mig_items');
        const there = await migrateVectorStore(a, store, { batchSize: 128 });
        expect(there.collections).toEqual([{ name: 'mig_items', points: 700 }]);
        expect(await store.count('mig_live')).toBe(700);
        await expect(migrateVectorStore(a, store)).rejects.toMatchObject({ code: 'conflict' });
        const back = await migrateVectorStore(store, b, { collections: ['mig_items'] });
        expect(back.aliases).toEqual([{ alias: 'mig_live', collection: 'mig_items' }]);
        const q = { vector: [1, 0.2, 0.5], limit: 5, filter: { must: [{ key: 'even', match: { value: true } }] } };
        expect(await b.search('mig_live', q)).toEqual(await a.search('mig_live', q));
        expect(await b.get('mig_items', [3, 699], { withVector: true })).toEqual(
          await a.get('mig_items', [3, 699], { withVector: true }),
        );
      } finally {
        await a.close();
        await b.close();
        rmSync(dirA, { recursive: true, force: true });
        rmSync(dirB, { recursive: true, force: true });
      }
    });

    it('VectorStoreModule picks Qdrant when QDRANT_URL is set and the embedded store otherwise', async () => {
      const dir = tempDir();
      for (const [env, kind] of [
        [{ TESSERA_DATA_DIR: dir }, 'embedded'],
        [{ TESSERA_DATA_DIR: dir, QDRANT_URL: url, QDRANT_SHARDS: '4' }, 'qdrant'],
      ] as const) {
        const moduleRef = await Test.createTestingModule({
          imports: [VectorStoreModule.forRoot(loadConfig(env))],
        }).compile();
        const vs = moduleRef.get(VectorStore);
        expect(vs.describe().kind).toBe(kind);
        expect((await vs.ping()).ok).toBe(true);
        await moduleRef.close();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('sent only requests, and got only responses, that match the OpenAPI document', () => {
      expect(fake.requests.length).toBeGreaterThan(50);
      expect(fake.violations).toEqual([]);
    });
  });
});

const qdrantUrl = process.env.QDRANT_URL;
const realReason = qdrantUrl
  ? ''
  : ' (skipped: QDRANT_URL is not set; start Qdrant and set QDRANT_URL to run this suite)';
if (!qdrantUrl) process.stderr.write(`[vector-store] real Qdrant contract suite${realReason}\n`);
describe.skipIf(!qdrantUrl)(`contract: Qdrant adapter against a real Qdrant${realReason}`, () => {
  describeVectorStoreContract(`Qdrant at ${qdrantUrl}`, async () => {
    const store = new QdrantVectorStore({ url: qdrantUrl!, apiKey: process.env.QDRANT_API_KEY });
    return {
      store,
      cleanup: async () => {
        for (const c of await store.listCollections())
          if (c.startsWith(`ct_`) && c.includes(`_${process.pid}_`)) await store.deleteCollection(c);
        await store.close();
      },
    };
  });
});
