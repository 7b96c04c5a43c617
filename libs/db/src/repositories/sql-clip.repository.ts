import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import { InvalidInputError, NotFoundError, newId } from '@tessera/common';
import { insertInBatches } from '../bulk-insert';
import type { CatalogueSchema, ClipsTable } from '../catalogue.schema';
import type { BulkInsertOptions, BulkInsertResult, Clip, NewClip } from '../catalogue.types';
import { nowIso, requireFinite, requireText } from '../json-columns';
import { ClipRepository } from './clip.repository.port';

function toRow(c: NewClip): ClipsTable {
  const start = requireFinite(c.startS, 'clip startS');
  const end = requireFinite(c.endS, 'clip endS');
  if (start < 0 || end < start)
    throw new InvalidInputError(`clip must have 0 <= startS <= endS, got ${start}..${end}`, {
      startS: start,
      endS: end,
    });
  return {
    id: c.id ?? newId('clip'),
    item_id: requireText(c.itemId, 'clip itemId'),
    start_s: start,
    end_s: end,
    caption: c.caption ?? null,
    thumbnail_asset_id: c.thumbnailAssetId ?? null,
    created_at: c.createdAt ?? nowIso(),
  };
}

function fromRow(r: Selectable<ClipsTable>): Clip {
  return {
    id: r.id,
    itemId: r.item_id,
    startS: r.start_s,
    endS: r.end_s,
    caption: r.caption,
    thumbnailAssetId: r.thumbnail_asset_id,
    createdAt: r.created_at,
  };
}

export class SqlClipRepository extends ClipRepository {
  /** `sqlite`: the raw handle, for the prepared-statement bulk insert path (SQLite only). */
  constructor(
    private readonly db: Kysely<CatalogueSchema>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    super();
  }

  async add(clip: NewClip): Promise<Clip> {
    const row = toRow(clip);
    await this.db.insertInto('clips').values(row).execute();
    return fromRow(row);
  }

  async findById(id: string): Promise<Clip | undefined> {
    const r = await this.db.selectFrom('clips').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async getById(id: string): Promise<Clip> {
    const c = await this.findById(id);
    if (!c) throw new NotFoundError(`clip ${id} not found`, { id });
    return c;
  }

  async listForItem(itemId: string): Promise<Clip[]> {
    const rows = await this.db
      .selectFrom('clips')
      .selectAll()
      .where('item_id', '=', itemId)
      .orderBy('start_s')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async listForItems(itemIds: readonly string[]): Promise<Map<string, Clip[]>> {
    const out = new Map<string, Clip[]>();
    for (let i = 0; i < itemIds.length; i += 5000) {
      const chunk = itemIds.slice(i, i + 5000);
      if (chunk.length === 0) continue;
      const rows = await this.db
        .selectFrom('clips')
        .selectAll()
        .where('item_id', 'in', chunk)
        .orderBy('item_id')
        .orderBy('start_s')
        .orderBy('id')
        .execute();
      for (const r of rows) {
        const list = out.get(r.item_id) ?? [];
        list.push(fromRow(r));
        out.set(r.item_id, list);
      }
    }
    return out;
  }

  async findByIds(ids: readonly string[]): Promise<Clip[]> {
    const byId = new Map<string, Clip>();
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      if (chunk.length === 0) continue;
      for (const r of await this.db.selectFrom('clips').selectAll().where('id', 'in', chunk).execute())
        byId.set(r.id, fromRow(r));
    }
    return ids.flatMap((id) => {
      const c = byId.get(id);
      return c ? [c] : [];
    });
  }

  async replaceForItem(itemId: string, clips: ReadonlyArray<Omit<NewClip, 'itemId'>>): Promise<Clip[]> {
    const rows = clips.map((c) => toRow({ ...c, itemId }));
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('clips').where('item_id', '=', itemId).execute();
      for (let i = 0; i < rows.length; i += 2000)
        await trx
          .insertInto('clips')
          .values(rows.slice(i, i + 2000))
          .execute();
    });
    return rows.map(fromRow).sort((a, b) => a.startS - b.startS);
  }

  insertMany(clips: readonly NewClip[], options?: BulkInsertOptions): Promise<BulkInsertResult> {
    return insertInBatches(this.db, 'clips', clips, toRow, options, this.sqlite);
  }
}
