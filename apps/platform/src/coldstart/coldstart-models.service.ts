import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppConfig, ConflictError, NotFoundError, TesseraConfig } from '@tessera/common';
import { ModelRepository } from '@tessera/db';
import { VectorStore } from '@tessera/vector-store';
import {
  COLDSTART_MODEL_ID,
  loadColdStartModel,
  type ColdStartModel,
  type ColdStartModelCard,
} from '@tessera/models/coldstart';
import { CatalogueIdMap } from './catalogue-dataset.loader';
import { COLDSTART_ALIAS, versionOfCollection } from './coldstart-jobs';
import { CATALOGUE_IDS_FILE } from './train-coldstart.usecase';

export interface LoadedColdStartModel {
  version: string;
  model: ColdStartModel;
  card: ColdStartModelCard;
  ids: CatalogueIdMap & { warmItems: number[] };
  /** Catalogue user id → the model's numeric user id, for users it learned an embedding for. */
  warmUsers: Map<string, number>;
  warmItemIds: Set<string>;
}

export interface ServedCollection {
  collection: string;
  version: string;
  dim: number;
}

/** Loads trained cold-start versions once per process and keeps them for serving. */
@Injectable()
export class ColdStartModels implements OnApplicationShutdown {
  private readonly loaded = new Map<string, Promise<LoadedColdStartModel>>();

  constructor(
    @Inject(AppConfig.TOKEN) private readonly config: TesseraConfig,
    private readonly models: ModelRepository,
    private readonly vectors: VectorStore,
  ) {}

  /** The collection the `coldstart` alias serves, the model version it holds and its dimension. */
  async servedCollection(): Promise<ServedCollection> {
    const collection = (await this.vectors.listAliases()).find((a) => a.alias === COLDSTART_ALIAS)?.collection;
    if (!collection)
      throw new ConflictError('no catalogue embedding is served yet (tessera embed coldstart)', {
        alias: COLDSTART_ALIAS,
      });
    const version = versionOfCollection(collection);
    if (!version) throw new ConflictError(`the served collection ${collection} was not made by a cold-start model`);
    const info = await this.vectors.getCollection(collection);
    const dim = 'size' in info.vectors ? Number(info.vectors.size) : NaN;
    if (!Number.isInteger(dim))
      throw new ConflictError(`the served collection ${collection} has no single vector size`);
    return { collection, version, dim };
  }

  /**
   * The model whose vectors the alias serves: user embeddings and item vectors must come from one
   * model. A named version must exist (NotFoundError) and be the served one (ConflictError).
   */
  async getServed(version?: string): Promise<LoadedColdStartModel> {
    const requested = version ? await this.get(version) : undefined;
    const served = await this.servedCollection();
    if (requested && requested.version !== served.version)
      throw new ConflictError(
        `model version "${requested.version}" is not the one served (the catalogue is embedded with "${served.version}"); omit modelVersion or embed the catalogue with it first`,
        { requested: requested.version, served: served.version },
      );
    return requested ?? this.get(served.version);
  }

  /** The named version, or the newest ready one. NotFoundError when there is none. */
  async get(version?: string): Promise<LoadedColdStartModel> {
    const record = version
      ? await this.models.find(COLDSTART_MODEL_ID, version)
      : await this.models.latest(COLDSTART_MODEL_ID, 'ready');
    if (!record)
      throw new NotFoundError(
        version
          ? `cold-start model version "${version}" does not exist`
          : 'no cold-start model is trained yet (tessera train coldstart)',
        { version },
      );
    let entry = this.loaded.get(record.version);
    if (!entry) {
      entry = this.load(record.version, join(this.config.dataDir, record.dir));
      this.loaded.set(record.version, entry);
      entry.catch(() => this.loaded.delete(record.version));
    }
    return entry;
  }

  private async load(version: string, dir: string): Promise<LoadedColdStartModel> {
    const { model, card } = await loadColdStartModel(dir);
    const ids = JSON.parse(await readFile(join(dir, CATALOGUE_IDS_FILE), 'utf8')) as LoadedColdStartModel['ids'];
    const warmUsers = new Map<string, number>();
    ids.users.forEach((catalogueId, numericId) => {
      const row = model.rowOf(numericId);
      if (row !== undefined) warmUsers.set(catalogueId, numericId);
    });
    return { version, model, card, ids, warmUsers, warmItemIds: new Set(ids.warmItems.map((i) => ids.items[i])) };
  }

  async onApplicationShutdown(): Promise<void> {
    for (const entry of this.loaded.values()) (await entry.catch(() => undefined))?.model.dispose();
    this.loaded.clear();
  }
}
