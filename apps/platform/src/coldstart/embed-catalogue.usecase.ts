import { Injectable, Logger } from '@nestjs/common';
import { ProgressReporter, silentProgress } from '@tessera/common';
import { Item } from '@tessera/db';
import type { SparseVector } from '@tessera/models/coldstart';
import { VectorStore } from '@tessera/vector-store';
import { CatalogueDatasetLoader } from './catalogue-dataset.loader';
import { CatalogueMediaReader } from './catalogue-media.reader';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS, coldStartCollection } from './coldstart-jobs';
import { ColdStartModels, LoadedColdStartModel } from './coldstart-models.service';
import { catalogueItemTokens } from './catalogue-item-tokens';
import { LEXICAL_KEYS, LEXICAL_VALUES, lexicalPayload } from './lexical-search';

export interface EmbedCatalogueResult {
  version: string;
  collection: string;
  points: number;
  dim: number;
  /** Items embedded with image or video tokens as well as text. */
  withMedia: number;
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
    private readonly media: CatalogueMediaReader,
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
    let withMedia = 0;
    try {
      for (let i = 0; i < items.length; i += BATCH) {
        const batch = items.slice(i, i + BATCH);
        const tokens = [];
        for (const it of batch) {
          const t = await catalogueItemTokens(it, contents.get(it.id) ?? {}, loaded.model, this.media);
          if (t.withMedia) withMedia++;
          tokens.push(t.tokens);
        }
        const vectors = await loaded.model.encodeItems(tokens);
        // Models with the lexical channel keep each item's sparse vector in the payload (see hybridSearch).
        const lexical = await loaded.model.lexicalVectors(tokens);
        await this.vectors.upsert(
          collection,
          batch.map((it, j) => ({
            id: pointIdFor(it.id),
            vector: vectors[j],
            payload: pointPayload(it, loaded, lexical?.[j]),
          })),
        );
        progress.update(Math.min(items.length, i + BATCH));
      }
    } catch (e) {
      // the alias still points at the previous collection; drop the half-built one
      await this.vectors.deleteCollection(collection).catch(() => false);
      progress.stop();
      throw e;
    }
    progress.stop();
    const previous = (await this.vectors.listAliases()).find((a) => a.alias === COLDSTART_ALIAS)?.collection;
    await this.vectors.updateAliases([
      ...(previous ? [{ deleteAlias: { alias: COLDSTART_ALIAS } }] : []),
      { createAlias: { alias: COLDSTART_ALIAS, collection } },
    ]);
    if (previous && previous !== collection) await this.vectors.deleteCollection(previous);
    this.logger.log({
      msg: 'catalogue embedded',
      version: loaded.version,
      collection,
      points: items.length,
      withMedia,
      previous,
    });
    return { version: loaded.version, collection, points: items.length, dim: loaded.model.dim, withMedia };
  }
}

/** Payload keys the platform owns; extra payload stored with an item (`metadata.embeddingPayload`) cannot override them. */
export const RESERVED_PAYLOAD_KEYS = new Set([
  'itemId',
  'kind',
  'source',
  'title',
  'warm',
  'modelVersion',
  LEXICAL_KEYS,
  LEXICAL_VALUES,
]);

/** The payload of an item's point: extras first, then the platform's own keys (and its lexical vector, if any). */
export function pointPayload(
  item: Item,
  loaded: LoadedColdStartModel,
  lexical?: SparseVector,
): Record<string, unknown> {
  const extra = item.metadata.embeddingPayload;
  return {
    ...(extra && typeof extra === 'object' && !Array.isArray(extra) ? extra : {}),
    itemId: item.id,
    kind: item.kind,
    source: item.source,
    title: item.title,
    warm: loaded.warmItemIds.has(item.id),
    modelVersion: loaded.version,
    ...(lexical ? lexicalPayload(lexical) : {}),
  };
}
