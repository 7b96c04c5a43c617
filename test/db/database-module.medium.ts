import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, CorruptDataError, loadConfig, TesseraConfigModule } from '@tessera/common';
import { BlobStore, Catalogue, DatabaseModule, ItemRepository, ModelRepository } from '@tessera/db';
import { JobHandlerRegistry, JobWorker } from '@tessera/jobs';
import { bootstrapWorker } from '../../apps/worker/src/bootstrap-worker';

describe('DatabaseModule and the worker boot on real files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-dbmod-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('provides repositories and the blob store from the config, and closes the file on shutdown', async () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dir });
    const ref = await Test.createTestingModule({
      imports: [TesseraConfigModule.forRoot(config), DatabaseModule.forRoot()],
    }).compile();
    const app = ref.createNestApplication();
    await app.init();
    const items = app.get(ItemRepository);
    const item = await items.create({ kind: 'image', source: 'upload', externalId: 'cat.jpg' });
    const blob = await app.get(BlobStore).put(Buffer.from('fake jpeg'));
    expect(blob.path.startsWith('blobs/')).toBe(true);
    expect((await app.get(ModelRepository).list()).length).toBe(0);
    const catalogue = app.get(Catalogue);
    expect(catalogue.path).toBe(join(dir, 'tessera.db'));
    await app.close();
    expect(catalogue.isClosed).toBe(true);

    const again = await Test.createTestingModule({
      imports: [TesseraConfigModule.forRoot(config), DatabaseModule.forRoot()],
    }).compile();
    const app2 = again.createNestApplication();
    await app2.init();
    expect((await app2.get(ItemRepository).getById(item.id)).externalId).toBe('cat.jpg');
    await app2.close();
  });

  it('the default worker boots on the platform composition root with its ingest processors', async () => {
    const app = await bootstrapWorker(loadConfig({ TESSERA_DATA_DIR: dir, LOG_LEVEL: 'silent' }), {
      handleSignals: false,
    });
    try {
      const names = app.get(JobHandlerRegistry).names();
      expect(names).toEqual(expect.arrayContaining(['ingest.media', 'ingest.folder', 'import.dataset']));
      expect(app.get(JobWorker).running).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('the worker refuses to boot over a corrupt catalogue, and on a postgres URL', async () => {
    writeFileSync(
      join(dir, 'tessera.db'),
      'not a database at all, just some text that is long enough to matter'.repeat(3),
    );
    await expect(
      bootstrapWorker(loadConfig({ TESSERA_DATA_DIR: dir, LOG_LEVEL: 'silent' }), { handleSignals: false }),
    ).rejects.toBeInstanceOf(CorruptDataError);
    // A fresh folder: a boot that failed part-way may still hold other stores' locks in this process.
    const pg = loadConfig({
      TESSERA_DATA_DIR: join(dir, 'pg'),
      DATABASE_URL: 'postgres://u@localhost/tessera',
      LOG_LEVEL: 'silent',
    });
    await expect(bootstrapWorker(pg, { handleSignals: false })).rejects.toBeInstanceOf(ConfigError);
  });
});
