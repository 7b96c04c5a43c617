/**
 * Row shapes of the catalogue tables, as stored. JSON columns are text and
 * timestamps are ISO text (`*_at`) or integer milliseconds (`*_ms`, `ts`), so the
 * same SQL runs on SQLite and PostgreSQL.
 */
export const ITEM_KINDS = ['video', 'image', 'text', 'dataset-item'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

export const JOB_STATES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface ItemsTable {
  id: string;
  kind: ItemKind;
  source: string;
  external_id: string;
  title: string | null;
  metadata: string;
  licence: string | null;
  created_at: string;
}

export interface AssetsTable {
  id: string;
  item_id: string | null;
  content_hash: string;
  media_type: string;
  bytes: number;
  path: string;
  probe: string | null;
  created_at: string;
}

export interface TextsTable {
  id: string;
  item_id: string;
  field: string;
  language: string;
  text: string;
  created_at: string;
}

export interface ClipsTable {
  id: string;
  item_id: string;
  start_s: number;
  end_s: number;
  caption: string | null;
  thumbnail_asset_id: string | null;
  created_at: string;
}

export interface UsersTable {
  id: string;
  source: string;
  external_id: string;
  created_at: string;
}

export interface InteractionsTable {
  user_id: string;
  item_id: string;
  value: number;
  ts: number;
}

export interface ModelsTable {
  model_id: string;
  version: string;
  kind: string;
  dir: string;
  dim: number;
  card: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface JobsTable {
  id: string;
  /** Insertion order, for FIFO claiming among jobs due at the same time. */
  seq: number;
  name: string;
  state: JobState;
  payload: string;
  result: string | null;
  progress: string | null;
  checkpoint: string | null;
  errors: string;
  item_errors: string;
  /** All per-item errors reported, including those beyond the stored list's cap (migration 0002). */
  item_error_count: number;
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  interruptions: number;
  dedupe_key: string | null;
  run_at_ms: number;
  lease_until_ms: number | null;
  owner: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobQueueFlagsTable {
  queue: string;
  paused: number;
  updated_at: string;
}

export interface CatalogueSchema {
  items: ItemsTable;
  assets: AssetsTable;
  texts: TextsTable;
  clips: ClipsTable;
  users: UsersTable;
  interactions: InteractionsTable;
  models: ModelsTable;
  jobs: JobsTable;
  job_queue_flags: JobQueueFlagsTable;
}
