import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '@tessera/common';
import { Catalogue } from '../catalogue';
import { CatalogueRepositories } from '../catalogue-repositories';
import { openCatalogue } from '../open-catalogue';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe.each([
  ['prepared-statement bulk path', true],
  ['portable kysely bulk path', false],
])('SQL catalogue repositories (%s)', (_label, fastBulkInsert) => {
  let catalogue: Catalogue;
  let repos: CatalogueRepositories;

  beforeEach(async () => {
    catalogue = await openCatalogue(':memory:');
    repos = new CatalogueRepositories(catalogue, { fastBulkInsert });
  });
  afterEach(async () => {
    await catalogue.close();
  });

  it('creates, finds and updates items; the external key is unique', async () => {
    const item = await repos.items.create({
      kind: 'video',
      source: 'qvh',
      externalId: 'v1',
      title: 'A',
      metadata: { fps: 30 },
      licence: 'CC-BY',
    });
    expect(item.id).toMatch(/^item_/);
    expect(await repos.items.getById(item.id)).toEqual(item);
    expect((await repos.items.findByExternal('qvh', 'v1'))?.id).toBe(item.id);
    await expect(repos.items.create({ kind: 'video', source: 'qvh', externalId: 'v1' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const again = await repos.items.upsert({ kind: 'video', source: 'qvh', externalId: 'v1', title: 'other' });
    expect(again).toEqual({ item, created: false });
    const updated = await repos.items.update(item.id, { title: 'B', metadata: { fps: 25 } });
    expect(updated.title).toBe('B');
    expect(updated.metadata).toEqual({ fps: 25 });
    await expect(repos.items.getById('item_missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(repos.items.create({ kind: 'song' as never, source: 's', externalId: 'x' })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('lists and counts with filters and paging', async () => {
    await repos.items.insertMany(
      Array.from({ length: 25 }, (_, i) => ({
        kind: i % 2 ? ('image' as const) : ('text' as const),
        source: 'ds',
        externalId: String(i),
        createdAt: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`,
      })),
    );
    expect(await repos.items.count()).toBe(25);
    expect(await repos.items.count({ kind: 'image' })).toBe(12);
    const page = await repos.items.list({ limit: 10, offset: 20 });
    expect(page.map((i) => i.externalId)).toEqual(['20', '21', '22', '23', '24']);
    const ids = await repos.items.idsByExternal('ds', ['3', '7', 'nope']);
    expect([...ids.keys()].sort()).toEqual(['3', '7']);
    await expect(repos.items.list({ limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    const [a, b] = page;
    expect((await repos.items.findByIds([b.id, 'item_missing', a.id])).map((i) => i.externalId)).toEqual(['21', '20']);
    const seen: string[] = [];
    for await (const batch of repos.items.iterate({ kind: 'image', batchSize: 5 })) {
      expect(batch.length).toBeLessThanOrEqual(5);
      seen.push(...batch.map((i) => i.id));
    }
    expect(seen).toHaveLength(12);
    expect([...seen].sort()).toEqual(seen);
  });

  it('bulk insert skips duplicates and reports bad rows by index without losing the good ones', async () => {
    const rows = [
      { kind: 'text' as const, source: 'ds', externalId: 'a' },
      { kind: 'bogus' as never, source: 'ds', externalId: 'b' },
      { kind: 'text' as const, source: 'ds', externalId: 'a' },
      { kind: 'text' as const, source: 'ds', externalId: 'c' },
    ];
    const res = await repos.items.insertMany(rows, { batchSize: 2 });
    expect(res.inserted).toBe(2);
    expect(res.skipped).toBe(1);
    expect(res.errors.map((e) => e.index)).toEqual([1]);
    expect(res.errors[0].message).toContain('kind');

    const strict = await repos.items.insertMany(
      [
        { kind: 'text', source: 'ds', externalId: 'a' },
        { kind: 'text', source: 'ds', externalId: 'd' },
      ],
      {
        onConflict: 'error',
      },
    );
    expect(strict.inserted).toBe(1);
    expect(strict.errors.map((e) => e.index)).toEqual([0]);
  });

  it('bulk-inserts interactions across batches and reports rows with unknown users', async () => {
    const item = await repos.items.create({ kind: 'dataset-item', source: 'ml', externalId: 'm1' });
    const users = await repos.users.insertMany(
      Array.from({ length: 30 }, (_, i) => ({ id: `u${i}`, source: 'ml', externalId: String(i) })),
    );
    expect(users.inserted).toBe(30);
    const rows = Array.from({ length: 30 }, (_, i) => ({
      userId: `u${i}`,
      itemId: item.id,
      value: i / 10,
      ts: 1000 + i,
    }));
    rows.push({ userId: 'ghost', itemId: item.id, value: 1, ts: 5 });
    const batches: number[] = [];
    const res = await repos.interactions.insertMany(rows, { batchSize: 8, onBatch: (done) => batches.push(done) });
    expect(res.inserted).toBe(30);
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0].index).toBe(30);
    expect(batches).toEqual([8, 16, 24, 31]);
    expect(await repos.interactions.count({ itemId: item.id })).toBe(30);
    expect(await repos.interactions.add({ userId: 'u1', itemId: item.id, value: 0.1, ts: 1001 })).toBe(false);
    const recent = await repos.interactions.listForUser('u3');
    expect(recent).toEqual([{ userId: 'u3', itemId: item.id, value: 0.3, ts: 1003 }]);

    const seen: string[] = [];
    for await (const batch of repos.interactions.iterate({ batchSize: 7 })) seen.push(...batch.map((b) => b.userId));
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
  });

  it('stores assets once per content hash, texts and clips per item, and cascades on item delete', async () => {
    const item = await repos.items.create({ kind: 'video', source: 'up', externalId: 'x' });
    const a = await repos.assets.upsertByHash({
      itemId: item.id,
      contentHash: HASH_A,
      mediaType: 'video/mp4',
      bytes: 10,
      path: 'blobs/aa/aa/x',
    });
    expect(a.created).toBe(true);
    const again = await repos.assets.upsertByHash({
      itemId: item.id,
      contentHash: HASH_A,
      mediaType: 'video/mp4',
      bytes: 10,
      path: 'blobs/aa/aa/x',
    });
    expect(again).toEqual({ asset: a.asset, created: false });
    await repos.assets.setProbe(a.asset.id, { durationS: 4.5 });
    expect((await repos.assets.findByHash(HASH_A))?.probe).toEqual({ durationS: 4.5 });
    const thumb = await repos.assets.upsertByHash({
      itemId: item.id,
      contentHash: HASH_B,
      mediaType: 'image/jpeg',
      bytes: 3,
      path: 'blobs/bb/bb/y',
    });

    await repos.texts.add({ itemId: item.id, field: 'title', language: 'en', text: 'Hello' });
    await repos.texts.replaceField(item.id, 'caption', [{ text: 'one' }, { text: 'two', language: 'en' }]);
    expect((await repos.texts.listForItem(item.id, 'caption')).map((t) => t.text).sort()).toEqual(['one', 'two']);
    expect(await repos.texts.listForItem(item.id)).toHaveLength(3);
    const other = await repos.items.create({ kind: 'text', source: 'up', externalId: 'y' });
    await repos.texts.add({ itemId: other.id, field: 'title', text: 'Other' });
    const many = await repos.texts.listForItems([item.id, other.id], 'title');
    expect(many.get(item.id)?.map((t) => t.text)).toEqual(['Hello']);
    expect(many.get(other.id)?.map((t) => t.text)).toEqual(['Other']);

    const clips = await repos.clips.replaceForItem(item.id, [
      { startS: 2, endS: 4, caption: 'b', thumbnailAssetId: thumb.asset.id },
      { startS: 0, endS: 2, caption: 'a' },
    ]);
    expect(clips.map((c) => c.caption)).toEqual(['a', 'b']);
    expect((await repos.clips.listForItem(item.id)).map((c) => [c.startS, c.endS])).toEqual([
      [0, 2],
      [2, 4],
    ]);
    await expect(repos.clips.add({ itemId: item.id, startS: 5, endS: 1 })).rejects.toBeInstanceOf(InvalidInputError);
    expect((await repos.clips.listForItems([item.id])).get(item.id)?.map((c) => c.caption)).toEqual(['a', 'b']);
    expect((await repos.clips.findByIds([clips[1].id, clips[0].id])).map((c) => c.caption)).toEqual(['b', 'a']);
    await expect(
      repos.assets.upsertByHash({ contentHash: 'nothex', mediaType: 'x', bytes: 1, path: 'p' }),
    ).rejects.toBeInstanceOf(InvalidInputError);

    expect(await repos.items.delete(item.id)).toBe(true);
    expect(await repos.assets.listForItem(item.id)).toEqual([]);
    expect(await repos.texts.listForItem(item.id)).toEqual([]);
    expect(await repos.clips.listForItem(item.id)).toEqual([]);
  });

  it('upserts users and registers model versions', async () => {
    const u = await repos.users.upsert({ source: 'api', externalId: 'alice' });
    expect(u.created).toBe(true);
    expect((await repos.users.upsert({ source: 'api', externalId: 'alice' })).user.id).toBe(u.user.id);
    expect(await repos.users.count({ source: 'api' })).toBe(1);

    await repos.models.register({
      modelId: 'coldstart',
      version: 'v1',
      kind: 'item-encoder',
      dir: 'models/coldstart/v1',
      dim: 64,
      status: 'ready',
    });
    await repos.models.register({
      modelId: 'coldstart',
      version: 'v2',
      kind: 'item-encoder',
      dir: 'models/coldstart/v2',
      dim: 64,
    });
    await expect(
      repos.models.register({ modelId: 'coldstart', version: 'v1', kind: 'x', dir: 'd', dim: 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await repos.models.latest('coldstart'))?.version).toBe('v1');
    await repos.models.setStatus('coldstart', 'v2', 'ready');
    expect((await repos.models.latest('coldstart'))?.version).toBe('v2');
    const carded = await repos.models.updateCard('coldstart', 'v2', { recallAt10: 0.31 });
    expect(carded.card).toEqual({ recallAt10: 0.31 });
    await expect(repos.models.get('coldstart', 'v9')).rejects.toBeInstanceOf(NotFoundError);
    expect(await repos.models.list({ modelId: 'coldstart' })).toHaveLength(2);
  });
});
