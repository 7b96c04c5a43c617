import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError, newId } from '@tessera/common';
import { insertInBatches } from '../bulk-insert';
import type { CatalogueSchema, UsersTable } from '../catalogue.schema';
import type { BulkInsertOptions, BulkInsertResult, NewUser, PageOptions, User } from '../catalogue.types';
import { checkOffset, clampLimit, nowIso, requireText } from '../json-columns';
import { UserRepository } from './user.repository.port';

function toRow(u: NewUser): UsersTable {
  return {
    id: u.id ?? newId('user'),
    source: requireText(u.source, 'user source'),
    external_id: requireText(u.externalId, 'user externalId'),
    created_at: u.createdAt ?? nowIso(),
  };
}

function fromRow(r: Selectable<UsersTable>): User {
  return { id: r.id, source: r.source, externalId: r.external_id, createdAt: r.created_at };
}

export class SqlUserRepository extends UserRepository {
  /** `sqlite`: the raw handle, for the prepared-statement bulk insert path (SQLite only). */
  constructor(
    private readonly db: Kysely<CatalogueSchema>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    super();
  }

  async upsert(user: NewUser): Promise<{ user: User; created: boolean }> {
    const row = toRow(user);
    const res = await this.db
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.columns(['source', 'external_id']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 1) return { user: fromRow(row), created: true };
    const existing = await this.findByExternal(row.source, row.external_id);
    if (!existing) throw new ConflictError(`user id ${row.id} already exists`, { id: row.id });
    return { user: existing, created: false };
  }

  async findById(id: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async getById(id: string): Promise<User> {
    const u = await this.findById(id);
    if (!u) throw new NotFoundError(`user ${id} not found`, { id });
    return u;
  }

  async findByExternal(source: string, externalId: string): Promise<User | undefined> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('source', '=', source)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async idsByExternal(source: string, externalIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < externalIds.length; i += 5000) {
      const chunk = externalIds.slice(i, i + 5000);
      if (chunk.length === 0) continue;
      const rows = await this.db
        .selectFrom('users')
        .select(['id', 'external_id'])
        .where('source', '=', source)
        .where('external_id', 'in', chunk)
        .execute();
      for (const r of rows) out.set(r.external_id, r.id);
    }
    return out;
  }

  async list(filter: PageOptions & { source?: string } = {}): Promise<User[]> {
    let q = this.db.selectFrom('users').selectAll();
    if (filter.source) q = q.where('source', '=', filter.source);
    const rows = await q
      .orderBy('created_at')
      .orderBy('id')
      .limit(clampLimit(filter.limit))
      .offset(checkOffset(filter.offset))
      .execute();
    return rows.map(fromRow);
  }

  async count(filter: { source?: string } = {}): Promise<number> {
    let q = this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n'));
    if (filter.source) q = q.where('source', '=', filter.source);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  insertMany(users: readonly NewUser[], options?: BulkInsertOptions): Promise<BulkInsertResult> {
    return insertInBatches(this.db, 'users', users, toRow, options, this.sqlite);
  }
}
