import type { Readable } from 'node:stream';

export interface StoredBlob {
  /** sha256 of the bytes, lowercase hex. */
  hash: string;
  bytes: number;
  /** Relative to the data dir (what the assets table records), e.g. `blobs/ab/cd/abcd...`. */
  path: string;
  absolutePath: string;
  /** True when the same bytes were already stored (the put was a no-op). */
  existed: boolean;
}

/** Bytes to store: a buffer, a readable stream (or any async iterable of chunks), or `{ path }` of a file. */
export type BlobSource = Uint8Array | Readable | AsyncIterable<Uint8Array> | { path: string };

export interface PutBlobOptions {
  /** Refuse (PayloadTooLargeError) once more than this many bytes arrive. */
  maxBytes?: number;
}

/** Content-addressed file storage: each distinct content is stored once. DI token and port. */
export abstract class BlobStore {
  abstract put(source: BlobSource, options?: PutBlobOptions): Promise<StoredBlob>;
  abstract has(hash: string): Promise<boolean>;
  /** A stream of the stored bytes; NotFoundError if absent. */
  abstract open(hash: string): Promise<Readable>;
  /** Absolute path of a stored blob (for ffmpeg/sharp that want files); NotFoundError if absent. */
  abstract locate(hash: string): Promise<string>;
  /** Re-hash the stored bytes; CorruptDataError if they no longer match. */
  abstract verify(hash: string): Promise<void>;
  /** Relative path a hash is stored at, whether or not it exists. */
  abstract relativePath(hash: string): string;
}
