import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { ConfigError, CorruptDataError, type TesseraConfig } from '@tessera/common';
import { Catalogue } from './catalogue';
import type { CatalogueSchema } from './catalogue.schema';
import { CatalogueMigrationProvider } from './migrations/catalogue-migration.provider';

export interface OpenCatalogueOptions {
  /**
   * `quick` runs `PRAGMA quick_check` at open; `none` skips it; `auto` (default) runs it when the
   * file is at most `quickCheckMaxBytes` (it reads every page: about 17 ms per MB here, so ~17 s per GB).
   * The header and schema are always checked.
   */
  integrityCheck?: 'auto' | 'quick' | 'none';
  /** Size limit for `auto` (default 256 MiB). */
  quickCheckMaxBytes?: number;
  /** How long a writer waits for another connection's lock, in ms. */
  busyTimeoutMs?: number;
  /** Run pending migrations (default true). */
  migrate?: boolean;
  readonly?: boolean;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Refuse a file that exists but is not a SQLite database: opening it with
 * SQLite could otherwise turn a mistyped path into data loss.
 */
function assertSqliteHeader(path: string): void {
  if (!existsSync(path)) return;
  const st = statSync(path);
  if (!st.isFile()) throw new CorruptDataError(`catalogue path is not a file: ${path}`, { path });
  if (st.size === 0) return; // an empty file is a fresh database to SQLite
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (st.size < 100 || !head.equals(SQLITE_HEADER)) {
    throw new CorruptDataError(
      `catalogue file ${path} is not a SQLite database (bad header); refusing to open or re-create it. ` +
        'Move it aside or restore it from a backup.',
      { path, bytes: st.size },
    );
  }
}

function isSqliteCorruption(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code ?? '';
  return code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
}

/**
 * Open (creating if absent) the catalogue SQLite file: WAL, foreign keys, busy
 * timeout, integrity check, migrations. Throws CorruptDataError for a damaged or
 * foreign file; never replaces existing data.
 */
export async function openCatalogue(path: string, options: OpenCatalogueOptions = {}): Promise<Catalogue> {
  const inMemory = path === ':memory:';
  const full = inMemory ? path : resolve(path);
  if (!inMemory) {
    mkdirSync(dirname(full), { recursive: true });
    assertSqliteHeader(full);
  }

  let sqlite: Database.Database;
  try {
    sqlite = new Database(full, { readonly: options.readonly ?? false });
  } catch (e) {
    if (isSqliteCorruption(e))
      throw new CorruptDataError(
        `catalogue file ${full} is corrupt: ${(e as Error).message}`,
        { path: full },
        { cause: e },
      );
    throw e;
  }

  try {
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (!inMemory && !options.readonly) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    // Reading the schema touches page 1 and fails fast on a damaged header or schema table.
    sqlite.prepare('select count(*) as n from sqlite_master').get();
    const mode = options.integrityCheck ?? 'auto';
    const size = inMemory ? 0 : statSync(full).size;
    if (mode === 'quick' || (mode === 'auto' && size <= (options.quickCheckMaxBytes ?? 256 * 1024 * 1024))) {
      const rows = sqlite.pragma('quick_check') as Array<{ quick_check: string }>;
      const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
      if (problems.length > 0) {
        throw new CorruptDataError(
          `catalogue file ${full} failed its integrity check: ${problems.slice(0, 5).join('; ')}`,
          {
            path: full,
            problems: problems.slice(0, 20),
          },
        );
      }
    }
  } catch (e) {
    sqlite.close();
    if (e instanceof CorruptDataError) throw e;
    if (isSqliteCorruption(e))
      throw new CorruptDataError(
        `catalogue file ${full} is corrupt: ${(e as Error).message}`,
        { path: full },
        { cause: e },
      );
    throw e;
  }

  const db = new Kysely<CatalogueSchema>({ dialect: new SqliteDialect({ database: sqlite }) });
  const catalogue = new Catalogue(db, full, 'sqlite', sqlite);
  if (options.migrate ?? true) {
    try {
      await migrateCatalogue(catalogue);
    } catch (e) {
      await catalogue.close();
      throw e;
    }
  }
  return catalogue;
}

/** Bring the schema to the latest version; a database newer than this build is refused. */
export async function migrateCatalogue(catalogue: Catalogue): Promise<string[]> {
  const migrator = new Migrator({
    db: catalogue.db,
    provider: new CatalogueMigrationProvider(),
    migrationTableName: 'tessera_migrations',
    migrationLockTableName: 'tessera_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const msg = error instanceof Error ? error.message : String(error);
    if (/corrupted migrations/i.test(msg)) {
      throw new ConfigError(
        `catalogue ${catalogue.path} was migrated by a newer Tessera build (${msg}); upgrade Tessera or use another DATABASE_URL`,
        { path: catalogue.path },
        { cause: error },
      );
    }
    if (isSqliteCorruption(error)) {
      throw new CorruptDataError(
        `catalogue file ${catalogue.path} is corrupt: ${msg}`,
        { path: catalogue.path },
        { cause: error },
      );
    }
    throw new CorruptDataError(
      `catalogue migration failed on ${catalogue.path}: ${msg}`,
      { path: catalogue.path },
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Open the catalogue named by the configuration. PostgreSQL is a designed
 * scale-out target (same kysely query layer) but has no driver in this build.
 */
export async function openCatalogueFromConfig(
  database: TesseraConfig['database'],
  options: OpenCatalogueOptions = {},
): Promise<Catalogue> {
  if (database.kind === 'postgres') {
    throw new ConfigError(
      'PostgreSQL support is planned; not available in this build. Unset DATABASE_URL or use sqlite:<path>.',
      { kind: 'postgres' },
    );
  }
  return openCatalogue(database.path, options);
}
