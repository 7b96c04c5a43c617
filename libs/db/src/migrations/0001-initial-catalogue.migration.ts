import { Kysely, Migration } from 'kysely';

/**
 * The first catalogue schema. Only portable column types (text, integer, bigint,
 * double precision) so PostgreSQL can run the same migration later.
 */
export const initialCatalogueMigration: Migration = {
  // Migrations see the schema as it was at their time, not today's types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('licence', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('items_source_external_uq', ['source', 'external_id'])
      .execute();
    await db.schema.createIndex('items_kind_idx').on('items').column('kind').execute();

    await db.schema
      .createTable('assets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('item_id', 'text', (c) => c.references('items.id').onDelete('cascade'))
      .addColumn('content_hash', 'text', (c) => c.notNull().unique())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('probe', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('assets_item_idx').on('assets').column('item_id').execute();

    await db.schema
      .createTable('texts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id').onDelete('cascade'))
      .addColumn('field', 'text', (c) => c.notNull())
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('texts_item_field_idx').on('texts').columns(['item_id', 'field']).execute();

    await db.schema
      .createTable('clips')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id').onDelete('cascade'))
      .addColumn('start_s', 'double precision', (c) => c.notNull())
      .addColumn('end_s', 'double precision', (c) => c.notNull())
      .addColumn('caption', 'text')
      .addColumn('thumbnail_asset_id', 'text', (c) => c.references('assets.id').onDelete('set null'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('clips_item_start_idx').on('clips').columns(['item_id', 'start_s']).execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('users_source_external_uq', ['source', 'external_id'])
      .execute();

    await db.schema
      .createTable('interactions')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('item_id', 'text', (c) => c.notNull().references('items.id').onDelete('cascade'))
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('ts', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('interactions_pk', ['user_id', 'item_id', 'ts'])
      .execute();
    await db.schema.createIndex('interactions_item_idx').on('interactions').column('item_id').execute();

    await db.schema
      .createTable('models')
      .addColumn('model_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('dir', 'text', (c) => c.notNull())
      .addColumn('dim', 'integer', (c) => c.notNull())
      .addColumn('card', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('models_pk', ['model_id', 'version'])
      .execute();

    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // Plain integer sequence filled by the queue (max+1 inside the insert transaction):
      // autoincrement syntax differs between SQLite and PostgreSQL.
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('result', 'text')
      .addColumn('progress', 'text')
      .addColumn('checkpoint', 'text')
      .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('item_errors', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('backoff_ms', 'bigint', (c) => c.notNull())
      .addColumn('interruptions', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('dedupe_key', 'text')
      .addColumn('run_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('lease_until_ms', 'bigint')
      .addColumn('owner', 'text')
      .addColumn('owner_host', 'text')
      .addColumn('owner_pid', 'integer')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema.createIndex('jobs_claim_idx').on('jobs').columns(['state', 'run_at_ms', 'seq']).execute();
    await db.schema.createIndex('jobs_name_state_idx').on('jobs').columns(['name', 'state']).execute();
    await db.schema.createIndex('jobs_dedupe_idx').on('jobs').columns(['dedupe_key', 'state']).execute();

    await db.schema
      .createTable('job_queue_flags')
      .addColumn('queue', 'text', (c) => c.primaryKey())
      .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    for (const t of [
      'job_queue_flags',
      'jobs',
      'models',
      'interactions',
      'users',
      'clips',
      'texts',
      'assets',
      'items',
    ]) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};
