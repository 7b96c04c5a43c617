import type { ItemKind } from '../catalogue.schema';
import type { BulkInsertOptions, BulkInsertResult, Item, JsonObject, NewItem, PageOptions } from '../catalogue.types';

export interface ItemFilter extends PageOptions {
  kind?: ItemKind;
  source?: string;
}

/** Catalogue items. An abstract class so it doubles as the Nest DI token and fakes can extend it. */
export abstract class ItemRepository {
  /** Insert a new item; ConflictError if (source, externalId) exists. */
  abstract create(item: NewItem): Promise<Item>;
  /** Insert, or return the stored item with the same (source, externalId). */
  abstract upsert(item: NewItem): Promise<{ item: Item; created: boolean }>;
  abstract findById(id: string): Promise<Item | undefined>;
  /** NotFoundError when absent. */
  abstract getById(id: string): Promise<Item>;
  abstract findByExternal(source: string, externalId: string): Promise<Item | undefined>;
  /** externalId → item id for those that exist (importers map foreign keys with it). */
  abstract idsByExternal(source: string, externalIds: readonly string[]): Promise<Map<string, string>>;
  /** The items among `ids` that exist, in the order of `ids`. */
  abstract findByIds(ids: readonly string[]): Promise<Item[]>;
  abstract list(filter?: ItemFilter): Promise<Item[]>;
  /** Every item (optionally of one kind/source) in id order, `batchSize` at a time (keyset paging). */
  abstract iterate(filter?: { kind?: ItemKind; source?: string; batchSize?: number }): AsyncIterable<Item[]>;
  abstract count(filter?: Omit<ItemFilter, 'limit' | 'offset'>): Promise<number>;
  abstract update(
    id: string,
    patch: { title?: string | null; metadata?: JsonObject; licence?: string | null },
  ): Promise<Item>;
  /** Deletes the item and (cascade) its assets rows, texts, clips and interactions. */
  abstract delete(id: string): Promise<boolean>;
  abstract insertMany(items: readonly NewItem[], options?: BulkInsertOptions): Promise<BulkInsertResult>;
}
