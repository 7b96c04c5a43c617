import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { CatalogueSchema } from './catalogue.schema';

/**
 * An open catalogue database: the typed query builder plus the file it lives in.
 * Also the Nest DI token for the connection. Repositories take `db`; only
 * start-up checks and maintenance touch the raw handle.
 */
export class Catalogue {
  private closed = false;

  constructor(
    readonly db: Kysely<CatalogueSchema>,
    readonly path: string,
    readonly dialect: 'sqlite',
    /** The underlying better-sqlite3 handle (SQLite only). */
    readonly sqlite?: BetterSqlite3.Database,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }
}
