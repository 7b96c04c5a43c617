import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig, CorruptDataError, type TesseraConfig } from '@tessera/common';
import { BlobStore } from './blob-store.port';
import { Catalogue } from './catalogue';
import { FileBlobStore } from './file-blob-store.repository';
import { openCatalogueFromConfig, type OpenCatalogueOptions } from './open-catalogue';
import { AssetRepository } from './repositories/asset.repository.port';
import { ClipRepository } from './repositories/clip.repository.port';
import { InteractionRepository } from './repositories/interaction.repository.port';
import { ItemRepository } from './repositories/item.repository.port';
import { ModelRepository } from './repositories/model.repository.port';
import { SqlAssetRepository } from './repositories/sql-asset.repository';
import { SqlClipRepository } from './repositories/sql-clip.repository';
import { SqlInteractionRepository } from './repositories/sql-interaction.repository';
import { SqlItemRepository } from './repositories/sql-item.repository';
import { SqlModelRepository } from './repositories/sql-model.repository';
import { SqlTextRepository } from './repositories/sql-text.repository';
import { SqlUserRepository } from './repositories/sql-user.repository';
import { TextRepository } from './repositories/text.repository.port';
import { UserRepository } from './repositories/user.repository.port';

/** Closes the connection when the app shuts down (after job workers have stopped). */
@Injectable()
class CatalogueShutdown implements OnApplicationShutdown {
  constructor(@Inject(Catalogue) private readonly catalogue: Catalogue) {}

  async onApplicationShutdown(): Promise<void> {
    await this.catalogue.close();
  }
}

const DATA_DIR = 'TESSERA_DATA_DIR_FOR_BLOBS';

/**
 * A data folder that already holds stored blobs but no catalogue file lost its database (moved,
 * deleted, or DATABASE_URL points elsewhere): refuse to start rather than begin an empty catalogue
 * beside data it no longer describes.
 */
export function assertNotOrphaned(cfg: TesseraConfig): void {
  if (cfg.database.kind !== 'sqlite' || existsSync(cfg.database.path)) return;
  const blobs = join(cfg.dataDir, 'blobs');
  if (existsSync(blobs) && readdirSync(blobs).length > 0)
    throw new CorruptDataError(
      `catalogue database ${cfg.database.path} is missing but ${blobs} holds stored files; restore the database or point DATABASE_URL at it`,
      { path: cfg.database.path, dataDir: cfg.dataDir },
    );
}

function repositoryProviders(): Provider[] {
  const repo = <T>(token: abstract new (...a: never[]) => T, make: (c: Catalogue) => T): Provider => ({
    provide: token,
    useFactory: (c: Catalogue) => make(c),
    inject: [Catalogue],
  });
  return [
    repo(ItemRepository, (c) => new SqlItemRepository(c.db, c.sqlite)),
    repo(AssetRepository, (c) => new SqlAssetRepository(c.db, c.sqlite)),
    repo(TextRepository, (c) => new SqlTextRepository(c.db, c.sqlite)),
    repo(ClipRepository, (c) => new SqlClipRepository(c.db, c.sqlite)),
    repo(UserRepository, (c) => new SqlUserRepository(c.db, c.sqlite)),
    repo(InteractionRepository, (c) => new SqlInteractionRepository(c.db, c.sqlite)),
    repo(ModelRepository, (c) => new SqlModelRepository(c.db)),
    { provide: BlobStore, useFactory: (dataDir: string) => new FileBlobStore(dataDir), inject: [DATA_DIR] },
  ];
}

const EXPORTS = [
  Catalogue,
  ItemRepository,
  AssetRepository,
  TextRepository,
  ClipRepository,
  UserRepository,
  InteractionRepository,
  ModelRepository,
  BlobStore,
];

/**
 * The catalogue for Nest apps: opens (and migrates) the database at start-up, so a
 * corrupt file stops the boot with CorruptDataError, and provides every repository
 * under its port. Global: import it once in the app module.
 */
@Module({})
export class DatabaseModule {
  /** `config` defaults to the one provided by TesseraConfigModule (AppConfig.TOKEN). */
  static forRoot(config?: TesseraConfig, options: OpenCatalogueOptions = {}): DynamicModule {
    const logger = new Logger('DatabaseModule');
    const configProvider: Provider = config
      ? { provide: 'TESSERA_DB_CONFIG', useValue: config }
      : { provide: 'TESSERA_DB_CONFIG', useExisting: AppConfig.TOKEN };
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        configProvider,
        {
          provide: Catalogue,
          useFactory: async (cfg: TesseraConfig) => {
            assertNotOrphaned(cfg);
            const catalogue = await openCatalogueFromConfig(cfg.database, options);
            logger.log({ msg: 'catalogue open', path: catalogue.path, dialect: catalogue.dialect });
            return catalogue;
          },
          inject: ['TESSERA_DB_CONFIG'],
        },
        { provide: DATA_DIR, useFactory: (cfg: TesseraConfig) => cfg.dataDir, inject: ['TESSERA_DB_CONFIG'] },
        CatalogueShutdown,
        ...repositoryProviders(),
      ],
      exports: EXPORTS,
    };
  }

  /** Wrap an already open catalogue (tests, CLI); the caller keeps ownership unless `closeOnShutdown`. */
  static forCatalogue(catalogue: Catalogue, dataDir: string, opts: { closeOnShutdown?: boolean } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: Catalogue, useValue: catalogue },
        { provide: DATA_DIR, useValue: dataDir },
        ...(opts.closeOnShutdown ? [CatalogueShutdown] : []),
        ...repositoryProviders(),
      ],
      exports: EXPORTS,
    };
  }
}
