import { Injectable, Logger } from '@nestjs/common';
import { ProgressReporter, silentProgress } from '@tessera/common';
import { VectorStore } from '@tessera/vector-store';
import { CatalogueDatasetLoader } from './catalogue-dataset.loader';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS, coldStartCollection } from './coldstart-jobs';
import { ColdStartModels } from './coldstart-models.service';

export interface EmbedCatalogueResult {
  version: string;
  collection: string;
  points: number;
  dim: number;
}

const BATCH = 256;

/**
 * Embeds every catalogue item with a cold-start model version into the collection named after that
 * version, then points the `coldstart` alias at it. Readers keep using the previous collection until
 * the swap, so a failed run leaves the served index as it was.
 */
@Injectable()
export class EmbedCatalogueUsecase {
  private readonly logger = new Logger(EmbedCatalogueUsecase.name);

  constructor(
    private readonly models: ColdStartModels,
    private readonly loader: CatalogueDatasetLoader,
    private readonly vectors: VectorStore,
  ) {}

  async execute(cmd: { version?: string; progress?: ProgressReporter } = {}): Promise<EmbedCatalogueResult> {
    const loaded = await this.models.get(cmd.version);
    // a fresh collection per run: re-embedding a version never touches the one being served
    const collection = coldStartCollection(loaded.version, Date.now());
    const { items, contents } = await this.loader.loadItems();
    // dot product: the model was trained on <user, item> scores
    await this.vectors.createCollection(collection, { vectors: { size: loaded.model.dim, distance: 'Dot' } });
    const progress = cmd.progress ?? silentProgress;
    progress.start(items.length);
    for (let i = 0; i < items.length; i += BATCH) {
      const batch = items.slice(i, i + BATCH);
      const tokens = batch.map((it) => loaded.model.tokenize({ itemId: 0, fields: contents.get(it.id) ?? {} }));
      const vectors = loaded.model.encodeItems(tokens);
      await this.vectors.upsert(
        collection,
        batch.map((it, j) => ({
          id: pointIdFor(it.id),
          vector: vectors[j],
          payload: {
            itemId: it.id,
            kind: it.kind,
            source: it.source,
            title: it.title,
            warm: loaded.warmItemIds.has(it.id),
            modelVersion: loaded.version,
          },
        })),
      );
      progress.update(Math.min(items.length, i + BATCH));
    }
    progress.stop();
    const previous = (await this.vectors.listAliases()).find((a) => a.alias === COLDSTART_ALIAS)?.collection;
    await this.vectors.updateAliases([
      ...(previous ? [{ deleteAlias: { alias: COLDSTART_ALIAS } }] : []),
      { createAlias: { alias: COLDSTART_ALIAS, collection } },
    ]);
    if (previous && previous !== collection) await this.vectors.deleteCollection(previous);
    this.logger.log({ msg: 'catalogue embedded', version: loaded.version, collection, points: items.length, previous });
    return { version: loaded.version, collection, points: items.length, dim: loaded.model.dim };
  }
}
