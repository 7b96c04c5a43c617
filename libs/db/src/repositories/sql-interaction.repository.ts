import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { InvalidInputError } from '@tessera/common';
import { insertInBatches } from '../bulk-insert';
import type { CatalogueSchema, InteractionsTable } from '../catalogue.schema';
import type { BulkInsertOptions, BulkInsertResult, Interaction } from '../catalogue.types';
import { clampLimit, requireFinite, requireText } from '../json-columns';
import { InteractionRepository } from './interaction.repository.port';

function toRow(i: Interaction): InteractionsTable {
  const ts = requireFinite(i.ts, 'interaction ts');
  if (!Number.isInteger(ts)) throw new InvalidInputError(`interaction ts must be integer milliseconds, got ${ts}`);
  return {
    user_id: requireText(i.userId, 'interaction userId'),
    item_id: requireText(i.itemId, 'interaction itemId'),
    value: requireFinite(i.value, 'interaction value'),
    ts,
  };
}

function fromRow(r: InteractionsTable): Interaction {
  return { userId: r.user_id, itemId: r.item_id, value: r.value, ts: Number(r.ts) };
}

export class SqlInteractionRepository extends InteractionRepository {
  /** `sqlite`: the raw handle, for the prepared-statement bulk insert path (SQLite only). */
  constructor(
    private readonly db: Kysely<CatalogueSchema>,
    private readonly sqlite?: BetterSqlite3.Database,
  ) {
    super();
  }

  async add(interaction: Interaction): Promise<boolean> {
    const res = await this.db
      .insertInto('interactions')
      .values(toRow(interaction))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async listForUser(userId: string, options: { limit?: number } = {}): Promise<Interaction[]> {
    const rows = await this.db
      .selectFrom('interactions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('ts', 'desc')
      .orderBy('item_id')
      .limit(clampLimit(options.limit, 1000, 100_000))
      .execute();
    return rows.map(fromRow);
  }

  async listForItem(itemId: string, options: { limit?: number } = {}): Promise<Interaction[]> {
    const rows = await this.db
      .selectFrom('interactions')
      .selectAll()
      .where('item_id', '=', itemId)
      .orderBy('ts', 'desc')
      .orderBy('user_id')
      .limit(clampLimit(options.limit, 1000, 100_000))
      .execute();
    return rows.map(fromRow);
  }

  async count(filter: { userId?: string; itemId?: string } = {}): Promise<number> {
    let q = this.db.selectFrom('interactions').select((eb) => eb.fn.countAll<number>().as('n'));
    if (filter.userId) q = q.where('user_id', '=', filter.userId);
    if (filter.itemId) q = q.where('item_id', '=', filter.itemId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async *iterate(options: { batchSize?: number } = {}): AsyncIterable<Interaction[]> {
    const batch = clampLimit(options.batchSize, 10_000, 100_000);
    let after: InteractionsTable | undefined;
    for (;;) {
      let q = this.db.selectFrom('interactions').selectAll();
      if (after) {
        const a = after;
        // Row-value comparison spelled out: (u > ?) or (u = ? and (i > ? or (i = ? and ts > ?))).
        q = q.where((eb) =>
          eb.or([
            eb('user_id', '>', a.user_id),
            eb.and([
              eb('user_id', '=', a.user_id),
              eb.or([eb('item_id', '>', a.item_id), eb.and([eb('item_id', '=', a.item_id), eb('ts', '>', a.ts)])]),
            ]),
          ]),
        );
      }
      const rows = await q.orderBy('user_id').orderBy('item_id').orderBy('ts').limit(batch).execute();
      if (rows.length === 0) return;
      yield rows.map(fromRow);
      if (rows.length < batch) return;
      after = rows[rows.length - 1];
    }
  }

  insertMany(interactions: readonly Interaction[], options?: BulkInsertOptions): Promise<BulkInsertResult> {
    return insertInBatches(this.db, 'interactions', interactions, toRow, options, this.sqlite);
  }
}
