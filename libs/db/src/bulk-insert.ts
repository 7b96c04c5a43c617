import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import { describeError } from '@tessera/common';
import type { CatalogueSchema } from './catalogue.schema';
import type { BulkInsertOptions, BulkInsertResult } from './catalogue.types';

type TableName = keyof CatalogueSchema;

// SQLite allows 32,766 bound parameters per statement, PostgreSQL 65,535.
const MAX_PARAMS = 30_000;

/**
 * Insert many rows: one transaction per batch (10k rows by default), several
 * multi-row statements per batch. Rows that fail to map (`toRow` throws) or that
 * violate a constraint are reported by index and skipped; the batch goes on.
 */
export async function insertInBatches<T extends TableName, R>(
  db: Kysely<CatalogueSchema>,
  table: T,
  rows: readonly R[],
  toRow: (row: R) => CatalogueSchema[T],
  options: BulkInsertOptions = {},
  sqlite?: BetterSqlite3.Database,
): Promise<BulkInsertResult> {
  const batchSize = Math.max(1, options.batchSize ?? 10_000);
  const ignore = (options.onConflict ?? 'ignore') === 'ignore';
  const result: BulkInsertResult = { inserted: 0, skipped: 0, errors: [] };
  if (sqlite) return insertPreparedSqlite(db, sqlite, table, rows, toRow, options, batchSize, ignore, result);

  for (let start = 0; start < rows.length; start += batchSize) {
    const mapped: Array<{ index: number; row: CatalogueSchema[T] }> = [];
    const end = Math.min(rows.length, start + batchSize);
    for (let i = start; i < end; i++) {
      try {
        mapped.push({ index: i, row: toRow(rows[i]) });
      } catch (e) {
        result.errors.push({ index: i, message: describeError(e) });
      }
    }
    if (mapped.length > 0) {
      const cols = Object.keys(mapped[0].row as object).length || 1;
      const perStatement = Math.max(1, Math.floor(MAX_PARAMS / cols));
      await db.transaction().execute(async (trx) => {
        for (let s = 0; s < mapped.length; s += perStatement) {
          const chunk = mapped.slice(s, s + perStatement);
          try {
            const n = await insertRows(
              trx,
              table,
              chunk.map((c) => c.row),
              ignore,
            );
            result.inserted += n;
            result.skipped += chunk.length - n;
          } catch {
            // One bad row (foreign key, conflict in `error` mode) fails the statement:
            // redo this chunk row by row to keep the good ones and name the bad.
            for (const c of chunk) {
              try {
                const n = await insertRows(trx, table, [c.row], ignore);
                result.inserted += n;
                result.skipped += 1 - n;
              } catch (e) {
                result.errors.push({ index: c.index, message: describeError(e) });
              }
            }
          }
        }
      });
    }
    options.onBatch?.(end, rows.length);
  }
  return result;
}

async function insertRows<T extends TableName>(
  trx: Transaction<CatalogueSchema>,
  table: T,
  rows: Array<CatalogueSchema[T]>,
  ignore: boolean,
): Promise<number> {
  // The generic table type defeats kysely's per-table inference; rows are typed by the caller.
  let q = trx.insertInto(table).values(rows as never);
  if (ignore) q = q.onConflict((oc) => oc.doNothing());
  const res = await q.executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n);
}

/**
 * SQLite fast path: the same portable INSERT, prepared once and run per row inside
 * one transaction per batch (about 1.5x the multi-row kysely path here). A failing
 * row fails only its own statement. Runs while holding kysely's connection, so no
 * other kysely query (or transaction) of this process interleaves with it.
 */
async function insertPreparedSqlite<T extends TableName, R>(
  db: Kysely<CatalogueSchema>,
  sqlite: BetterSqlite3.Database,
  table: T,
  rows: readonly R[],
  toRow: (row: R) => CatalogueSchema[T],
  options: BulkInsertOptions,
  batchSize: number,
  ignore: boolean,
  result: BulkInsertResult,
): Promise<BulkInsertResult> {
  let cols: string[] | undefined;
  let stmt: BetterSqlite3.Statement | undefined;
  for (let start = 0; start < rows.length; start += batchSize) {
    const end = Math.min(rows.length, start + batchSize);
    const mapped: Array<{ index: number; row: Record<string, unknown> }> = [];
    for (let i = start; i < end; i++) {
      try {
        mapped.push({ index: i, row: toRow(rows[i]) as unknown as Record<string, unknown> });
      } catch (e) {
        result.errors.push({ index: i, message: describeError(e) });
      }
    }
    if (mapped.length > 0) {
      if (!cols || !stmt) {
        cols = Object.keys(mapped[0].row);
        const quoted = cols.map((c) => `"${c}"`).join(', ');
        stmt = sqlite.prepare(
          `insert into "${table}" (${quoted}) values (${cols.map(() => '?').join(', ')})${ignore ? ' on conflict do nothing' : ''}`,
        );
      }
      const [c, st] = [cols, stmt];
      await db.connection().execute(async () => {
        sqlite.transaction(() => {
          for (const m of mapped) {
            try {
              const info = st.run(c.map((k) => m.row[k] ?? null));
              if (info.changes > 0) result.inserted++;
              else result.skipped++;
            } catch (e) {
              result.errors.push({ index: m.index, message: describeError(e) });
            }
          }
        })();
      });
    }
    options.onBatch?.(end, rows.length);
    // Let timers (job heartbeats, progress writes) run between batches.
    await new Promise((r) => setImmediate(r));
  }
  return result;
}
