import type { BulkInsertOptions, BulkInsertResult, Clip, NewClip } from '../catalogue.types';

/** Time segments of a video item, with captions and an optional thumbnail asset. */
export abstract class ClipRepository {
  abstract add(clip: NewClip): Promise<Clip>;
  abstract findById(id: string): Promise<Clip | undefined>;
  abstract getById(id: string): Promise<Clip>;
  /** Ordered by start time. */
  abstract listForItem(itemId: string): Promise<Clip[]>;
  /** Clips of many items at once, each list ordered by start time. */
  abstract listForItems(itemIds: readonly string[]): Promise<Map<string, Clip[]>>;
  /** The clips among `ids` that exist, in the order of `ids`. */
  abstract findByIds(ids: readonly string[]): Promise<Clip[]>;
  /** Replace every clip of an item at once (re-segmentation). */
  abstract replaceForItem(itemId: string, clips: ReadonlyArray<Omit<NewClip, 'itemId'>>): Promise<Clip[]>;
  abstract insertMany(clips: readonly NewClip[], options?: BulkInsertOptions): Promise<BulkInsertResult>;
}
