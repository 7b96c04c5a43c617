import type { BulkInsertOptions, BulkInsertResult, ItemText, NewItemText } from '../catalogue.types';

/** Text attached to items: titles, overviews, captions, transcripts. */
export abstract class TextRepository {
  abstract add(text: NewItemText): Promise<ItemText>;
  abstract listForItem(itemId: string, field?: string): Promise<ItemText[]>;
  /** Replace all texts of one field of an item (re-ingest). */
  abstract replaceField(
    itemId: string,
    field: string,
    texts: ReadonlyArray<Omit<NewItemText, 'itemId' | 'field'>>,
  ): Promise<ItemText[]>;
  abstract deleteForItem(itemId: string, field?: string): Promise<number>;
  abstract insertMany(texts: readonly NewItemText[], options?: BulkInsertOptions): Promise<BulkInsertResult>;
}
