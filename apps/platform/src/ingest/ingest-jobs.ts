/** Job names and payloads of ingestion, shared by the API (enqueues) and the worker (processes). */
export const INGEST_MEDIA_JOB = 'ingest.media';
export const INGEST_FOLDER_JOB = 'ingest.folder';
export const IMPORT_DATASET_JOB = 'import.dataset';

export interface IngestMediaPayload {
  itemId: string;
}

export interface IngestFolderPayload {
  /** Absolute folder path, already checked against the allowed root. */
  path: string;
}

export interface ImportDatasetPayload {
  dataset: string;
  path: string;
}
