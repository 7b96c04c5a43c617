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

  constructor(readonly catalogue: Catalogue) {
    const db = catalogue.db;
    this.items = new SqlItemRepository(db);
    this.assets = new SqlAssetRepository(db);
    this.texts = new SqlTextRepository(db);
    this.clips = new SqlClipRepository(db);
    this.users = new SqlUserRepository(db);
    this.interactions = new SqlInteractionRepository(db);
    this.models = new SqlModelRepository(db);
  }
}
