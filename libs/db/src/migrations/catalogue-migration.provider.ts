import type { Migration, MigrationProvider } from 'kysely';
import { initialCatalogueMigration } from './0001-initial-catalogue.migration';
import { jobItemErrorCountMigration } from './0002-job-item-error-count.migration';

/**
 * Migrations compiled into the code (not read from a folder), so they ship inside
 * `dist` and run the same from the CLI, the worker and tests. Names sort in order.
 */
export class CatalogueMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001-initial-catalogue': initialCatalogueMigration,
      '0002-job-item-error-count': jobItemErrorCountMigration,
    };
  }
}
