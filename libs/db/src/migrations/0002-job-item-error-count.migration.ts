import { Kysely, Migration } from 'kysely';

/** Jobs keep at most N per-item errors in their report; this counts them all. */
export const jobItemErrorCountMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .alterTable('jobs')
      .addColumn('item_error_count', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('jobs').dropColumn('item_error_count').execute();
  },
};
