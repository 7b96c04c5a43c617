import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError, newId } from '@tessera/common';
import { insertInBatches } from '../bulk-insert';
import type { AssetsTable, CatalogueSchema } from '../catalogue.schema';
import type { Asset, BulkInsertOptions, BulkInsertResult, JsonObject, NewAsset } from '../catalogue.types';
import { fromJsonText, nowIso, requireText, toJsonText } from '../json-columns';
import { AssetRepository } from './asset.repository.port';

function toRow(a: NewAsset): AssetsTable {
  if (!/^[0-9a-f]{64}$/.test(a.contentHash ?? ''))
    throw new InvalidInputError('asset contentHash must be a lowercase sha256 hex digest', {
      contentHash: a.contentHash,
    });
  if (!Number.isInteger(a.bytes) || a.bytes < 0)
    throw new InvalidInputError(`asset bytes must be a non-negative integer, got ${a.bytes}`);
  return {
    id: a.id ?? newId('asset'),
    item_id: a.itemId ?? null,
    content_hash: a.contentHash,
    media_type: requireText(a.mediaType, 'asset mediaType'),
    bytes: a.bytes,
    path: requireText(a.path, 'asset path'),
    probe: a.probe == null ? null : toJsonText(a.probe, 'asset probe'),
    created_at: a.createdAt ?? nowIso(),
  };
}

function fromRow(r: Selectable<AssetsTable>): Asset {
  return {
    id: r.id,
    itemId: r.item_id,
    contentHash: r.content_hash,
    mediaType: r.media_type,
    bytes: Number(r.bytes),
    path: r.path,
    probe: fromJsonText<JsonObject>(r.probe, 'asset probe'),
    createdAt: r.created_at,
  };
}

export class SqlAssetRepository extends AssetRepository {
  /** `sqlite`: the raw handle, for the prepared-statement bulk insert path (SQLite only). */
  constructor(
    private readonly db: Kysely<CatalogueSchema>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    super();
  }

  async upsertByHash(asset: NewAsset): Promise<{ asset: Asset; created: boolean }> {
    const row = toRow(asset);
    const res = await this.db
      .insertInto('assets')
      .values(row)
      .onConflict((oc) => oc.column('content_hash').doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 1) return { asset: fromRow(row), created: true };
    const existing = await this.findByHash(row.content_hash);
    if (!existing) throw new ConflictError(`asset id ${row.id} already exists`, { id: row.id });
    return { asset: existing, created: false };
  }

  async findById(id: string): Promise<Asset | undefined> {
    const r = await this.db.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async getById(id: string): Promise<Asset> {
    const a = await this.findById(id);
    if (!a) throw new NotFoundError(`asset ${id} not found`, { id });
    return a;
  }

  async findByHash(contentHash: string): Promise<Asset | undefined> {
    const r = await this.db.selectFrom('assets').selectAll().where('content_hash', '=', contentHash).executeTakeFirst();
    return r ? fromRow(r) : undefined;
  }

  async listForItem(itemId: string): Promise<Asset[]> {
    const rows = await this.db
      .selectFrom('assets')
      .selectAll()
      .where('item_id', '=', itemId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async setProbe(id: string, probe: Record<string, unknown>): Promise<void> {
    const res = await this.db
      .updateTable('assets')
      .set({ probe: toJsonText(probe, 'asset probe') })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new NotFoundError(`asset ${id} not found`, { id });
  }

  insertMany(assets: readonly NewAsset[], options?: BulkInsertOptions): Promise<BulkInsertResult> {
    return insertInBatches(this.db, 'assets', assets, toRow, options, this.sqlite);
  }
}
