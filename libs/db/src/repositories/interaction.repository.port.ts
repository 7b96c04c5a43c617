import type { BulkInsertOptions, BulkInsertResult, Interaction } from '../catalogue.types';

/** User-item feedback (ratings, clicks, views); unique per (user, item, ts). */
export abstract class InteractionRepository {
  /** Records one interaction; the same (user, item, ts) again is ignored. Returns whether it was new. */
  abstract add(interaction: Interaction): Promise<boolean>;
  /** Newest first. */
  abstract listForUser(userId: string, options?: { limit?: number }): Promise<Interaction[]>;
  abstract listForItem(itemId: string, options?: { limit?: number }): Promise<Interaction[]>;
  abstract count(filter?: { userId?: string; itemId?: string }): Promise<number>;
  /** Every interaction in (user, item, ts) order, `batchSize` rows at a time (keyset paging). */
  abstract iterate(options?: { batchSize?: number }): AsyncIterable<Interaction[]>;
  abstract insertMany(interactions: readonly Interaction[], options?: BulkInsertOptions): Promise<BulkInsertResult>;
}
