import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { needsSharedData } from '@tessera/testing';
import { EmbeddedVectorStore, QdrantVectorStore } from '@tessera/vector-store';
import { VectorsMigrateCommand } from '../../apps/cli/src/commands/vectors-migrate.command';
import { VectorsStatsCommand } from '../../apps/cli/src/commands/vectors-stats.command';
import { FakeQdrantServer } from './fake-qdrant.server';

async function captureStdout(fn: () => Promise<void>): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await fn();
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return out;
}

const openapi = needsSharedData('qdrant', 'openapi.json');
describe.skipIf(openapi.skip)(`tessera vectors migrate / stats${openapi.reason}`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-vcli-'));
  const saved = { ...process.env };
  let fake: FakeQdrantServer;
  let url: string;

  beforeAll(async () => {
    fake = new FakeQdrantServer(openapi.path);
    url = await fake.start();
    const store = new EmbeddedVectorStore({ dir: join(dataDir, 'vectors') });
    await store.createCollection('items_v1', { vectors: { size: 2, distance: 'Dot' } });
    await store.upsert('items_v1', [
      { id: 1, vector: [1, 0], payload: { t: 'a' } },
      { id: 2, vector: [0, 1], payload: { t: 'b' } },
    ]);
    await store.swapAlias('items', 'items_v1');
    await store.close();
    process.env.TESSERA_DATA_DIR = dataDir;
  });
  afterAll(async () => {
    process.env = saved;
    await fake?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stats prints the embedded store with its collections and aliases', async () => {
    delete process.env.QDRANT_URL;
    const out = await captureStdout(() => new VectorsStatsCommand().run([], { json: true }));
    const stats = JSON.parse(out) as {
      store: { kind: string };
      collections: { name: string; pointsCount: number }[];
      aliases: unknown[];
    };
    expect(stats.store.kind).toBe('embedded');
    expect(stats.collections).toMatchObject([{ name: 'items_v1', pointsCount: 2 }]);
    expect(stats.aliases).toEqual([{ alias: 'items', collection: 'items_v1' }]);
  });

  it('migrate --from embedded --to qdrant copies points and aliases, and refuses without QDRANT_URL', async () => {
    delete process.env.QDRANT_URL;
    await expect(new VectorsMigrateCommand().run([], { from: 'embedded', to: 'qdrant' })).rejects.toThrow(
      /QDRANT_URL is not set/,
    );
    process.env.QDRANT_URL = url;
    const out = await captureStdout(() =>
      new VectorsMigrateCommand().run([], { from: 'embedded', to: 'qdrant', json: true }),
    );
    expect(JSON.parse(out)).toMatchObject({
      from: 'embedded',
      to: 'qdrant',
      collections: [{ name: 'items_v1', points: 2 }],
    });
    const q = new QdrantVectorStore({ url });
    expect(await q.get('items', [2])).toEqual([{ id: 2, payload: { t: 'b' } }]);
    const stats = JSON.parse(await captureStdout(() => new VectorsStatsCommand().run([], { json: true }))) as {
      store: { kind: string };
    };
    expect(stats.store.kind).toBe('qdrant');
  });

  it('migrate back --from qdrant --to embedded with --replace', async () => {
    process.env.QDRANT_URL = url;
    const q = new QdrantVectorStore({ url });
    await q.upsert('items_v1', [{ id: 3, vector: [1, 1], payload: { t: 'c' } }]);
    const out = await captureStdout(() =>
      new VectorsMigrateCommand().run([], { from: 'qdrant', to: 'embedded', replace: true }),
    );
    expect(out).toContain('items_v1: 3 points copied qdrant -> embedded');
    const store = new EmbeddedVectorStore({ dir: join(dataDir, 'vectors') });
    expect(await store.count('items')).toBe(3);
    await store.close();
  });
});
