import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '@tessera/common';
import { ItemRepository } from '@tessera/db';
import { VectorStore } from '@tessera/vector-store';
import { CatalogueDatasetLoader } from './catalogue-dataset.loader';
import { CONTENT_FIELDS } from './catalogue-content';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS } from './coldstart-jobs';
import { ColdStartModels } from './coldstart-models.service';

export interface EmbeddingView {
  vector: number[];
  modelId: string;
  modelVersion: string;
  dim: number;
  itemId?: string;
}

export interface EmbedContentInput {
  /** Text fields (title, overview, body, genres, tags, ...). */
  fields?: Record<string, string>;
  /** An item already in the catalogue (e.g. an ingested video): its stored texts are encoded. */
  itemId?: string;
}

/** Item embeddings: stored ones from the served collection, or fresh ones from content never seen before. */
@Injectable()
export class ItemEmbeddingUsecase {
  constructor(
    private readonly models: ColdStartModels,
    private readonly vectors: VectorStore,
    private readonly items: ItemRepository,
    private readonly loader: CatalogueDatasetLoader,
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

  async fromContent(inputs: EmbedContentInput[], modelVersion?: string): Promise<EmbeddingView[]> {
    const loaded = await this.models.get(modelVersion);
    const contents: Record<string, string>[] = [];
    for (const input of inputs) {
      let fields: Record<string, string> = {};
      if (input.itemId) fields = await this.loader.contentOf(await this.items.getById(input.itemId));
      for (const [k, v] of Object.entries(input.fields ?? {})) {
        if (!CONTENT_FIELDS.has(k))
          throw new InvalidInputError(
            `the model was not trained on "${k}"; known content fields: ${[...CONTENT_FIELDS].join(', ')}`,
            { field: k },
          );
        fields[k] = v;
      }
      if (Object.values(fields).every((v) => !v.trim()))
        throw new InvalidInputError('content is empty: give at least one non-empty text field');
      contents.push(fields);
    }
    const vectors = loaded.model.encodeItems(contents.map((fields) => loaded.model.tokenize({ itemId: 0, fields })));
    return vectors.map((v, i) => ({
      vector: Array.from(v),
      modelId: loaded.card.modelId,
      modelVersion: loaded.version,
      dim: v.length,
      itemId: inputs[i].itemId,
    }));
  }
}
