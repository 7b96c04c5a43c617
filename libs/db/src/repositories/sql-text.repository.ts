import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import { InvalidInputError, newId } from '@tessera/common';
import { insertInBatches } from '../bulk-insert';
import type { CatalogueSchema, TextsTable } from '../catalogue.schema';
import type { BulkInsertOptions, BulkInsertResult, ItemText, NewItemText } from '../catalogue.types';
import { nowIso, requireText } from '../json-columns';
import { TextRepository } from './text.repository.port';

function toRow(t: NewItemText): TextsTable {
  if (typeof t.text !== 'string') throw new InvalidInputError('text must be a string', { field: t.field });
  return {
    id: t.id ?? newId('text'),
    item_id: requireText(t.itemId, 'text itemId'),
    field: requireText(t.field, 'text field'),
    language: t.language ?? 'und',
    text: t.text,
    created_at: t.createdAt ?? nowIso(),
  };
}

function fromRow(r: Selectable<TextsTable>): ItemText {
  return { id: r.id, itemId: r.item_id, field: r.field, language: r.language, text: r.text, createdAt: r.created_at };
}

export class SqlTextRepository extends TextRepository {
  /** `sqlite`: the raw handle, for the prepared-statement bulk insert path (SQLite only). */
  constructor(
    private readonly db: Kysely<CatalogueSchema>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    super();
  }

  async add(text: NewItemText): Promise<ItemText> {
    const row = toRow(text);
    await this.db.insertInto('texts').values(row).execute();
    return fromRow(row);
  }

  async listForItem(itemId: string, field?: string): Promise<ItemText[]> {
    let q = this.db.selectFrom('texts').selectAll().where('item_id', '=', itemId);
    if (field) q = q.where('field', '=', field);
    const rows = await q.orderBy('field').orderBy('created_at').orderBy('id').execute();
    return rows.map(fromRow);
  }

  async listForItems(itemIds: readonly string[], field?: string): Promise<Map<string, ItemText[]>> {
    const out = new Map<string, ItemText[]>();
    for (let i = 0; i < itemIds.length; i += 5000) {
      const chunk = itemIds.slice(i, i + 5000);
      if (chunk.length === 0) continue;
      let q = this.db.selectFrom('texts').selectAll().where('item_id', 'in', chunk);
      if (field) q = q.where('field', '=', field);
      const rows = await q.orderBy('item_id').orderBy('field').orderBy('created_at').orderBy('id').execute();
      for (const r of rows) {
        const list = out.get(r.item_id) ?? [];
        list.push(fromRow(r));
        out.set(r.item_id, list);
      }
    }
    return out;
  }

  async replaceField(
    itemId: string,
    field: string,
    texts: ReadonlyArray<Omit<NewItemText, 'itemId' | 'field'>>,
  ): Promise<ItemText[]> {
    const rows = texts.map((t) => toRow({ ...t, itemId, field }));
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('texts').where('item_id', '=', itemId).where('field', '=', field).execute();
      if (rows.length > 0) await trx.insertInto('texts').values(rows).execute();
    });
    return rows.map(fromRow);
  }

  async deleteForItem(itemId: string, field?: string): Promise<number> {
    let q = this.db.deleteFrom('texts').where('item_id', '=', itemId);
    if (field) q = q.where('field', '=', field);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  insertMany(texts: readonly NewItemText[], options?: BulkInsertOptions): Promise<BulkInsertResult> {
    return insertInBatches(this.db, 'texts', texts, toRow, options, this.sqlite);
  }
}
