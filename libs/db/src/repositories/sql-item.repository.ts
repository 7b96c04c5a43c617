import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError, newId } from '@tessera/common';
import { insertInBatches } from '../bulk-insert';
import { ITEM_KINDS, type CatalogueSchema, type ItemKind, type ItemsTable } from '../catalogue.schema';
import type { BulkInsertOptions, BulkInsertResult, Item, JsonObject, NewItem } from '../catalogue.types';
import { checkOffset, clampLimit, fromJsonText, nowIso, requireText, toJsonText } from '../json-columns';
import { ItemFilter, ItemRepository } from './item.repository.port';

function toRow(item: NewItem): ItemsTable {
  if (!ITEM_KINDS.includes(item.kind)) {
    throw new InvalidInputError(`item kind must be one of ${ITEM_KINDS.join(', ')}, got ${String(item.kind)}`, {
      kind: item.kind,
    });
  }
  return {
    id: item.id ?? newId('item'),
    kind: item.kind,
    source: requireText(item.source, 'item source'),
    external_id: requireText(item.externalId, 'item externalId'),
    title: item.title ?? null,
    metadata: toJsonText(item.metadata ?? {}, 'item metadata'),
    licence: item.licence ?? null,
    created_at: item.createdAt ?? nowIso(),
  };
}

function fromRow(r: Selectable<ItemsTable>): Item {
  return {
    id: r.id,
    kind: r.kind,
    source: r.source,
    externalId: r.external_id,
    title: r.title,
    metadata: fromJsonText<JsonObject>(r.metadata, 'item metadata') ?? {},
    licence: r.licence,
    createdAt: r.created_at,
  };
}

export class SqlItemRepository extends ItemRepository {
  /** `sqlite`: the raw handle, for the prepared-statement bulk insert path (SQLite only). */
  constructor(
    private readonly db: Kysely<CatalogueSchema>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    super();
  }

  async create(item: NewItem): Promise<Item> {
    const row = toRow(item);
    const res = await this.db
      .insertInto('items')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) {
      throw new ConflictError(`item ${row.source}:${row.external_id} (or id ${row.id}) already exists`, {
        source: row.source,
        externalId: row.external_id,
      });
    }
    return fromRow(row);
  }

  async upsert(item: NewItem): Promise<{ item: Item; created: boolean }> {
    const row = toRow(item);
    const res = await this.db
      .insertInto('items')
      .values(row)
      .onConflict((oc) => oc.columns(['source', 'external_id']).doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 1) return { item: fromRow(row), created: true };
    const existing = await this.findByExternal(row.source, row.external_id);
    if (!existing) throw new ConflictError(`item id ${row.id} already exists`, { id: row.id });
    return { item: existing, created: false };
  }

  async findById(id: string): Promise<Item | undefined> {
    const r = await this.db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async getById(id: string): Promise<Item> {
    const item = await this.findById(id);
    if (!item) throw new NotFoundError(`item ${id} not found`, { id });
    return item;
  }

  async findByExternal(source: string, externalId: string): Promise<Item | undefined> {
    const r = await this.db
      .selectFrom('items')
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
        .selectFrom('items')
        .select(['id', 'external_id'])
        .where('source', '=', source)
        .where('external_id', 'in', chunk)
        .execute();
      for (const r of rows) out.set(r.external_id, r.id);
    }
    return out;
  }

  async findByIds(ids: readonly string[]): Promise<Item[]> {
    const byId = new Map<string, Item>();
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      if (chunk.length === 0) continue;
      const rows = await this.db.selectFrom('items').selectAll().where('id', 'in', chunk).execute();
      for (const r of rows) byId.set(r.id, fromRow(r));
    }
    return ids.flatMap((id) => {
      const item = byId.get(id);
      return item ? [item] : [];
    });
  }

  async *iterate(filter: { kind?: ItemKind; source?: string; batchSize?: number } = {}): AsyncIterable<Item[]> {
    const batch = clampLimit(filter.batchSize, 1000, 100_000);
    let after: string | undefined;
    for (;;) {
      let q = this.db.selectFrom('items').selectAll();
      if (filter.kind) q = q.where('kind', '=', filter.kind);
      if (filter.source) q = q.where('source', '=', filter.source);
      if (after !== undefined) q = q.where('id', '>', after);
      const rows = await q.orderBy('id').limit(batch).execute();
      if (rows.length === 0) return;
      yield rows.map(fromRow);
      if (rows.length < batch) return;
      after = rows[rows.length - 1].id;
    }
  }

  async list(filter: ItemFilter = {}): Promise<Item[]> {
    let q = this.db.selectFrom('items').selectAll();
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.source) q = q.where('source', '=', filter.source);
    const rows = await q
      .orderBy('created_at')
      .orderBy('id')
      .limit(clampLimit(filter.limit))
      .offset(checkOffset(filter.offset))
      .execute();
    return rows.map(fromRow);
  }

  async count(filter: Omit<ItemFilter, 'limit' | 'offset'> = {}): Promise<number> {
    let q = this.db.selectFrom('items').select((eb) => eb.fn.countAll<number>().as('n'));
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.source) q = q.where('source', '=', filter.source);
    const r = await q.executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(
    id: string,
    patch: { title?: string | null; metadata?: JsonObject; licence?: string | null },
  ): Promise<Item> {
    const set: Partial<ItemsTable> = {};
    if (patch.title !== undefined) set.title = patch.title;
    if (patch.licence !== undefined) set.licence = patch.licence;
    if (patch.metadata !== undefined) set.metadata = toJsonText(patch.metadata, 'item metadata');
    if (Object.keys(set).length > 0) {
      const res = await this.db.updateTable('items').set(set).where('id', '=', id).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new NotFoundError(`item ${id} not found`, { id });
    }
    return this.getById(id);
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('items').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  insertMany(items: readonly NewItem[], options?: BulkInsertOptions): Promise<BulkInsertResult> {
    return insertInBatches(this.db, 'items', items, toRow, options, this.sqlite);
  }
}
