import { Catalogue } from './catalogue';
import { SqlAssetRepository } from './repositories/sql-asset.repository';
import { SqlClipRepository } from './repositories/sql-clip.repository';
import { SqlInteractionRepository } from './repositories/sql-interaction.repository';
import { SqlItemRepository } from './repositories/sql-item.repository';
import { SqlModelRepository } from './repositories/sql-model.repository';
import { SqlTextRepository } from './repositories/sql-text.repository';
import { SqlUserRepository } from './repositories/sql-user.repository';

/** Every repository over one open catalogue, for code outside Nest (CLI importers, tests). */
export class CatalogueRepositories {
  readonly items: SqlItemRepository;
  readonly assets: SqlAssetRepository;
  readonly texts: SqlTextRepository;
  readonly clips: SqlClipRepository;
  readonly users: SqlUserRepository;
  readonly interactions: SqlInteractionRepository;
  readonly models: SqlModelRepository;

  /** `fastBulkInsert` (default true) uses prepared statements on the raw SQLite handle for insertMany. */
  constructor(
    readonly catalogue: Catalogue,
    options: { fastBulkInsert?: boolean } = {},
  ) {
    const db = catalogue.db;
    const raw = (options.fastBulkInsert ?? true) ? catalogue.sqlite : undefined;
    this.items = new SqlItemRepository(db, raw);
    this.assets = new SqlAssetRepository(db, raw);
    this.texts = new SqlTextRepository(db, raw);
    this.clips = new SqlClipRepository(db, raw);
    this.users = new SqlUserRepository(db, raw);
    this.interactions = new SqlInteractionRepository(db, raw);
    this.models = new SqlModelRepository(db);
  }
}
