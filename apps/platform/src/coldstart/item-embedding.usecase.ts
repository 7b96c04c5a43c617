import { Injectable, Logger } from '@nestjs/common';
import {
  ConflictError,
  DimensionMismatchError,
  InvalidInputError,
  UnsupportedModalityError,
  isTesseraError,
  NotFoundError,
  sha256,
  TesseraError,
} from '@tessera/common';
import { Item, ItemRepository, TextRepository } from '@tessera/db';
import { IMAGE_MODALITY, type ItemTokens, VIDEO_MODALITY } from '@tessera/models/coldstart';
import { VectorStore } from '@tessera/vector-store';
import { ProcessMediaUsecase } from '../ingest/process-media.usecase';
import { StoreUploadUsecase } from '../ingest/store-upload.usecase';
import { CatalogueDatasetLoader } from './catalogue-dataset.loader';
import { CONTENT_FIELDS } from './catalogue-content';
import { CatalogueMediaReader } from './catalogue-media.reader';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS } from './coldstart-jobs';
import { ColdStartModels, LoadedColdStartModel, ServedCollection } from './coldstart-models.service';
import { pointPayload, RESERVED_PAYLOAD_KEYS } from './embed-catalogue.usecase';

export interface EmbeddingView {
  vector: number[];
  modelId: string;
  modelVersion: string;
  dim: number;
  itemId?: string;
  /** The encoder modalities this vector was computed from (e.g. text, genres, image, video). */
  modalities?: string[];
  /** What was substituted or left out (e.g. a video embedded from its keyframe). */
  notes?: string[];
  /** Set when the vector was written to the served collection. */
  stored?: { collection: string; itemId: string; created: boolean };
}

export interface EmbedContentInput {
  /** Text fields (title, overview, body, genres, tags, ...). */
  fields?: Record<string, string>;
  /** An item already in the catalogue (e.g. an ingested video): its stored texts and frames are encoded. */
  itemId?: string;
  /** An uploaded picture (any accepted raster format; decoded safely). */
  image?: { bytes: Buffer; filename?: string };
  /**
   * Write the vector into the collection the `coldstart` alias serves, so the item is recommendable at
   * once. With `itemId` that item's point is written; otherwise a catalogue item is created from the
   * content (its id comes back in `stored.itemId`).
   */
  store?: boolean;
  /** Extra point payload for filters (kept in the item's metadata, so re-embedding keeps it). */
  payload?: Record<string, unknown>;
  /** Catalogue source of an item created by `store` (default `api`). */
  source?: string;
}

export interface EmbedContentReport {
  /** One entry per input, null where that input failed. */
  embeddings: (EmbeddingView | null)[];
  errors: { index: number; error: TesseraError }[];
}

/** Item embeddings: stored ones from the served collection, or fresh ones from content never seen before. */
@Injectable()
export class ItemEmbeddingUsecase {
  private readonly logger = new Logger(ItemEmbeddingUsecase.name);

  constructor(
    private readonly models: ColdStartModels,
    private readonly vectors: VectorStore,
    private readonly items: ItemRepository,
    private readonly texts: TextRepository,
    private readonly loader: CatalogueDatasetLoader,
    private readonly media: CatalogueMediaReader,
    private readonly storeUpload: StoreUploadUsecase,
    private readonly processMedia: ProcessMediaUsecase,
  ) {}

  async stored(itemId: string): Promise<EmbeddingView> {
    await this.items.getById(itemId);
    const [point] = await this.vectors.get(COLDSTART_ALIAS, [pointIdFor(itemId)], {
      withVector: true,
      withPayload: true,
    });
    if (!point?.vector || !Array.isArray(point.vector))
      throw new NotFoundError(`item ${itemId} has no stored embedding yet (tessera embed coldstart)`, { itemId });
    const version = String((point.payload as { modelVersion?: string } | null)?.modelVersion ?? 'unknown');
    const loaded = await this.models.get(version);
    return {
      vector: point.vector,
      modelId: loaded.card.modelId,
      modelVersion: version,
      dim: point.vector.length,
      itemId,
    };
  }

  /**
   * Embeds each input; a bad input gets an error entry while the others go on. An unknown model
   * version (or no model) fails the whole call. With `store`, the model version defaults to the one
   * the alias serves, since one collection holds one model's vectors.
   */
  async embed(inputs: EmbedContentInput[], modelVersion?: string): Promise<EmbedContentReport> {
    if (inputs.length === 0) throw new InvalidInputError('give at least one content to embed');
    const served = inputs.some((i) => i.store) ? await this.models.servedCollection() : undefined;
    const loaded = await this.models.get(modelVersion ?? served?.version);
    const report: EmbedContentReport = { embeddings: inputs.map(() => null), errors: [] };
    for (const [index, input] of inputs.entries()) {
      try {
        report.embeddings[index] = await this.embedOne(input, loaded, served);
      } catch (e) {
        if (!isTesseraError(e)) throw e;
        report.errors.push({ index, error: e });
      }
    }
    return report;
  }

  /** Single-input form: throws the input's typed error. */
  async embedSingle(input: EmbedContentInput, modelVersion?: string): Promise<EmbeddingView> {
    const r = await this.embed([input], modelVersion);
    if (r.errors.length) throw r.errors[0].error;
    return r.embeddings[0]!;
  }

  private async embedOne(
    input: EmbedContentInput,
    loaded: LoadedColdStartModel,
    served: ServedCollection | undefined,
  ): Promise<EmbeddingView> {
    const { model } = loaded;
    if (!input.fields && !input.itemId && !input.image)
      throw new InvalidInputError('give text `fields`, an uploaded `image`, or a catalogue `itemId`');
    if (input.image && input.itemId) throw new InvalidInputError('send an image or an itemId, not both');
    if (input.store && input.itemId && input.fields)
      throw new InvalidInputError(
        'store with an itemId stores that item as the catalogue holds it; send fields without itemId to store new content',
      );
    if (input.payload) {
      const reserved = Object.keys(input.payload).filter((k) => RESERVED_PAYLOAD_KEYS.has(k));
      if (reserved.length)
        throw new InvalidInputError(`payload keys ${reserved.join(', ')} are set by the platform`, { reserved });
    }
    const notes: string[] = [];
    let item: Item | undefined;
    let fields: Record<string, string> = {};
    let mediaTokens: ItemTokens['modalities'] = {};
    if (input.itemId) {
      item = await this.items.getById(input.itemId);
      fields = await this.loader.contentOf(item);
      const found = await this.media.tokensFor(item, model.media);
      mediaTokens = found.modalities;
      notes.push(...found.notes);
    }
    for (const [k, v] of Object.entries(input.fields ?? {})) {
      if (!CONTENT_FIELDS.has(k))
        throw new InvalidInputError(
          `the model was not trained on "${k}"; known content fields: ${[...CONTENT_FIELDS].join(', ')}`,
          { field: k },
        );
      if (typeof v !== 'string') throw new InvalidInputError(`field "${k}" must be a string`, { field: k });
      fields[k] = v;
    }
    if (input.image) {
      if (!model.media?.spec.image) throw modalityNotTrained(IMAGE_MODALITY, loaded);
      mediaTokens = await this.media.uploadTokens(input.image.bytes, model.media);
    }
    const text = model.tokenize({ itemId: 0, fields });
    const tokens: ItemTokens = { modalities: { ...text.modalities, ...mediaTokens } };
    const used = Object.keys(tokens.modalities).filter((m) => tokens.modalities[m].tokens.length > 0);
    if (used.length === 0) {
      if (item && (item.kind === 'image' || item.kind === 'video') && !model.media)
        throw modalityNotTrained(item.kind === 'video' ? VIDEO_MODALITY : IMAGE_MODALITY, loaded, item.id);
      throw new InvalidInputError('content is empty: give at least one non-empty text field or an image');
    }
    const [vector] = await model.encodeItems([tokens]);
    const view: EmbeddingView = {
      vector: Array.from(vector),
      modelId: loaded.card.modelId,
      modelVersion: loaded.version,
      dim: vector.length,
      ...(item ? { itemId: item.id } : {}),
      modalities: used,
      ...(notes.length ? { notes } : {}),
    };
    if (!input.store) return view;

    if (!served) throw new ConflictError('no served collection to store into');
    if (served.dim !== vector.length)
      throw new DimensionMismatchError(
        `the served collection ${served.collection} holds ${served.dim}-dimensional vectors; model ${loaded.version} makes ${vector.length}`,
        { expected: served.dim, got: vector.length, collection: served.collection },
      );
    if (served.version !== loaded.version)
      throw new ConflictError(
        `the served collection holds vectors of model version "${served.version}"; storing a "${loaded.version}" vector there would mix two models (omit modelVersion, or re-embed the catalogue with "${loaded.version}")`,
        { served: served.version, requested: loaded.version },
      );
    let created = false;
    if (!item) ({ item, created } = await this.createItem(input, fields));
    else if (input.payload)
      item = await this.items.update(item.id, { metadata: { ...item.metadata, embeddingPayload: input.payload } });
    await this.vectors.upsert(served.collection, [
      {
        id: pointIdFor(item.id),
        vector,
        payload: pointPayload(item, loaded, (await model.lexicalVectors([tokens]))?.[0]),
      },
    ]);
    this.logger.log({ msg: 'embedding stored', itemId: item.id, created, collection: served.collection });
    return { ...view, itemId: item.id, stored: { collection: served.collection, itemId: item.id, created } };
  }

  /** A catalogue item holding the content, so a later catalogue re-embedding reproduces it. */
  private async createItem(
    input: EmbedContentInput,
    fields: Record<string, string>,
  ): Promise<{ item: Item; created: boolean }> {
    const source = input.source ?? 'api';
    if (!/^[\w.-]{1,64}$/.test(source)) throw new InvalidInputError(`invalid source "${source}"`, { source });
    const metadata = input.payload ? { embeddingPayload: input.payload } : {};
    let item: Item;
    let created: boolean;
    if (input.image) {
      const r = await this.storeUpload.execute({
        source: input.image.bytes,
        filename: input.image.filename ?? 'image',
        title: fields.title,
        metadata,
        origin: source,
      });
      ({ item, created } = r);
      if (r.needsProcessing) await this.processMedia.execute(item.id);
    } else {
      const r = await this.items.upsert({
        kind: 'text',
        source,
        externalId: `content:${sha256(JSON.stringify(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))))}`,
        title: fields.title ?? null,
        metadata,
      });
      ({ item, created } = r);
    }
    for (const [field, text] of Object.entries(fields)) {
      if (field === 'title' || !text.trim()) continue;
      await this.texts.replaceField(item.id, field, [{ language: 'und', text }]);
    }
    return { item: await this.items.getById(item.id), created };
  }
}

function modalityNotTrained(modality: string, loaded: LoadedColdStartModel, itemId?: string): UnsupportedModalityError {
  const trained = loaded.card.encoder.modalities.map((m) => m.name);
  return new UnsupportedModalityError(
    `model version "${loaded.version}" was not trained on ${modality} content (its modalities: ${trained.join(', ')})${
      itemId ? `, and item ${itemId} has no text to fall back on` : ''
    }`,
    { modality, trained, modelVersion: loaded.version },
  );
}
