import type { Asset, BulkInsertOptions, BulkInsertResult, NewAsset } from '../catalogue.types';

/** Stored files (bytes live in the BlobStore; this is their catalogue row). */
export abstract class AssetRepository {
  /** Insert, or return the row already stored for the same content hash. */
  abstract upsertByHash(asset: NewAsset): Promise<{ asset: Asset; created: boolean }>;
  abstract findById(id: string): Promise<Asset | undefined>;
  abstract getById(id: string): Promise<Asset>;
  abstract findByHash(contentHash: string): Promise<Asset | undefined>;
  abstract listForItem(itemId: string): Promise<Asset[]>;
  abstract setProbe(id: string, probe: Record<string, unknown>): Promise<void>;
  abstract insertMany(assets: readonly NewAsset[], options?: BulkInsertOptions): Promise<BulkInsertResult>;
}
