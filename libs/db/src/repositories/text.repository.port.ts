import type { BulkInsertOptions, BulkInsertResult, ItemText, NewItemText } from '../catalogue.types';

/** Text attached to items: titles, overviews, captions, transcripts. */
export abstract class TextRepository {
  abstract add(text: NewItemText): Promise<ItemText>;
  abstract listForItem(itemId: string, field?: string): Promise<ItemText[]>;
  /** Texts of many items at once (training, batch embedding): itemId → texts. */
  abstract listForItems(itemIds: readonly string[], field?: string): Promise<Map<string, ItemText[]>>;
  /** Replace all texts of one field of an item (re-ingest). */
  abstract replaceField(
    itemId: string,
    field: string,
    texts: ReadonlyArray<Omit<NewItemText, 'itemId' | 'field'>>,
  ): Promise<ItemText[]>;
  abstract deleteForItem(itemId: string, field?: string): Promise<number>;
  abstract insertMany(texts: readonly NewItemText[], options?: BulkInsertOptions): Promise<BulkInsertResult>;
}
