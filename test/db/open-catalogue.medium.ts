import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, CorruptDataError } from '@tessera/common';
import { Migrator } from 'kysely';
import { CatalogueMigrationProvider, CatalogueRepositories, openCatalogue, openCatalogueFromConfig } from '@tessera/db';

describe('openCatalogue on real files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-db-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a missing file (and its folder) in WAL mode with foreign keys, and keeps data across reopen', async () => {
    const path = join(dir, 'nested', 'deeper', 'tessera.db');
    const c1 = await openCatalogue(path);
    expect(c1.sqlite?.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(c1.sqlite?.pragma('foreign_keys', { simple: true })).toBe(1);
    const item = await new CatalogueRepositories(c1).items.create({
      kind: 'text',
      source: 's',
      externalId: '1',
      title: 'kept',
    });
    await c1.close();

    const c2 = await openCatalogue(path);
    expect((await new CatalogueRepositories(c2).items.getById(item.id)).title).toBe('kept');
    await c2.close();
  });

  it('refuses a non-SQLite file with CorruptDataError and leaves its bytes alone', async () => {
    const path = join(dir, 'tessera.db');
    const junk = 'this is a text file, not a database\n'.repeat(20);
    writeFileSync(path, junk);
    await expect(openCatalogue(path)).rejects.toBeInstanceOf(CorruptDataError);
    await expect(openCatalogue(path)).rejects.toThrow(/not a SQLite database/);
    expect(readFileSync(path, 'utf8')).toBe(junk);
  });

  it('refuses a SQLite file whose pages were damaged', async () => {
    const path = join(dir, 'tessera.db');
    const c = await openCatalogue(path);
    const repos = new CatalogueRepositories(c);
    await repos.items.insertMany(
      Array.from({ length: 3000 }, (_, i) => ({
        kind: 'text' as const,
        source: 's',
        externalId: `e${i}`,
        title: 'x'.repeat(200),
      })),
    );
    c.sqlite?.pragma('wal_checkpoint(TRUNCATE)');
    await c.close();
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(100_000);
    // Keep the header, scribble over b-tree pages in the middle of the file.
    for (let off = 8192; off < bytes.length - 4096; off += 4096) bytes.fill(0xa5, off, off + 512);
    writeFileSync(path, bytes);
    await expect(openCatalogue(path)).rejects.toBeInstanceOf(CorruptDataError);
    await expect(openCatalogue(path, { integrityCheck: 'quick' })).rejects.toThrow(
      /failed its integrity check|is corrupt/,
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('upgrades a catalogue written by an older build in place, keeping its rows', async () => {
    const path = join(dir, 'tessera.db');
    // Build a version-1 catalogue: only the first migration.
    const v1 = await openCatalogue(path, { migrate: false });
    const first = (await new CatalogueMigrationProvider().getMigrations())['0001-initial-catalogue'];
    const migrator = new Migrator({
      db: v1.db,
      migrationTableName: 'tessera_migrations',
      migrationLockTableName: 'tessera_migrations_lock',
      provider: { getMigrations: async () => ({ '0001-initial-catalogue': first }) },
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    await new CatalogueRepositories(v1).items.create({ id: 'item_old', kind: 'text', source: 's', externalId: 'old' });
    await v1.close();

    const v2 = await openCatalogue(path);
    expect((await new CatalogueRepositories(v2).items.getById('item_old')).externalId).toBe('old');
    const cols = v2.sqlite?.prepare("select name from pragma_table_info('jobs')").all() as Array<{ name: string }>;
    expect(cols.map((c) => c.name)).toContain('item_error_count');
    const applied = v2.sqlite?.prepare('select name from tessera_migrations order by name').all() as Array<{
      name: string;
    }>;
    expect(applied.map((m) => m.name)).toEqual(['0001-initial-catalogue', '0002-job-item-error-count']);
    await v2.close();
  });

  it('refuses a database migrated by a newer build', async () => {
    const path = join(dir, 'tessera.db');
    const c = await openCatalogue(path);
    await c.close();
    const raw = new Database(path);
    raw
      .prepare('insert into tessera_migrations (name, timestamp) values (?, ?)')
      .run('9999-from-the-future', new Date().toISOString());
    raw.close();
    await expect(openCatalogue(path)).rejects.toBeInstanceOf(ConfigError);
  });

  it('says PostgreSQL is planned, not silently falling back to SQLite', async () => {
    await expect(openCatalogueFromConfig({ kind: 'postgres', url: 'postgres://x@localhost/db' })).rejects.toThrow(
      /PostgreSQL support is planned; not available in this build/,
    );
    expect(existsSync(join(dir, 'tessera.db'))).toBe(false);
  });
});
