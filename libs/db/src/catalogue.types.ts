import type { ItemKind } from './catalogue.schema';

/** Domain shapes the repositories return: camelCase, JSON already parsed. */
export type JsonObject = Record<string, unknown>;

export interface Item {
  id: string;
  kind: ItemKind;
  source: string;
  externalId: string;
  title: string | null;
  metadata: JsonObject;
  licence: string | null;
  createdAt: string;
}

export interface NewItem {
  id?: string;
  kind: ItemKind;
  source: string;
  externalId: string;
  title?: string | null;
  metadata?: JsonObject;
  licence?: string | null;
  createdAt?: string;
}

export interface Asset {
  id: string;
  itemId: string | null;
  contentHash: string;
  mediaType: string;
  bytes: number;
  /** Relative to the data dir; resolve with `resolveInside(dataDir, path)`. */
  path: string;
  probe: JsonObject | null;
  createdAt: string;
}

export interface NewAsset {
  id?: string;
  itemId?: string | null;
  contentHash: string;
  mediaType: string;
  bytes: number;
  path: string;
  probe?: JsonObject | null;
  createdAt?: string;
}

export interface ItemText {
  id: string;
  itemId: string;
  /** e.g. title, overview, caption, transcript. */
  field: string;
  language: string;
  text: string;
  createdAt: string;
}

export interface NewItemText {
  id?: string;
  itemId: string;
  field: string;
  language?: string;
  text: string;
  createdAt?: string;
}

export interface Clip {
  id: string;
  itemId: string;
  startS: number;
  endS: number;
  caption: string | null;
  thumbnailAssetId: string | null;
  createdAt: string;
}

export interface NewClip {
  id?: string;
  itemId: string;
  startS: number;
  endS: number;
  caption?: string | null;
  thumbnailAssetId?: string | null;
  createdAt?: string;
}

export interface User {
  id: string;
  source: string;
  externalId: string;
  createdAt: string;
}

export interface NewUser {
  id?: string;
  source: string;
  externalId: string;
  createdAt?: string;
}

export interface Interaction {
  userId: string;
  itemId: string;
  value: number;
  /** Milliseconds since the epoch. */
  ts: number;
}

export type ModelStatus = 'training' | 'ready' | 'failed' | 'retired';

export interface ModelRecord {
  modelId: string;
  version: string;
  kind: string;
  /** Model folder relative to the data dir, e.g. `models/coldstart/v3`. */
  dir: string;
  dim: number;
  card: JsonObject;
  status: ModelStatus;
  createdAt: string;
  updatedAt: string;
}

export interface NewModelRecord {
  modelId: string;
  version: string;
  kind: string;
  dir: string;
  dim: number;
  card?: JsonObject;
  status?: ModelStatus;
}

export interface PageOptions {
  limit?: number;
  offset?: number;
}

/** Outcome of a bulk insert: duplicates are skipped, bad rows reported, the rest stored. */
export interface BulkInsertResult {
  inserted: number;
  skipped: number;
  errors: Array<{ index: number; message: string }>;
}

export interface BulkInsertOptions {
  /** Rows per transaction (default 10,000). */
  batchSize?: number;
  /** `ignore` (default) skips rows whose unique key exists; `error` reports them. */
  onConflict?: 'ignore' | 'error';
  /** Called after each committed batch with the running totals. */
  onBatch?: (done: number, total: number) => void;
}
