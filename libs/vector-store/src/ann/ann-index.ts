/** What the embedded store needs from a native ANN library; slots are the labels. */
export interface AnnIndex {
  readonly library: AnnLibrary;
  /** Inserts or replaces `count` vectors stored row-wise in `data`, labelled by `slots`. */
  addBatch(slots: ArrayLike<number>, data: Float32Array): void;
  remove(slot: number): void;
  /** Up to k slots, best first. `accept` filters during the graph walk where the library can. */
  search(query: Float32Array, k: number, accept?: (slot: number) => boolean): number[];
  setEfSearch(ef: number): void;
  save(path: string): void;
  readonly size: number;
}

export type AnnLibrary = 'hnswlib' | 'usearch';

export interface AnnOptions {
  /** `ip` for Cosine (stored normalised) and Dot, `l2` for Euclid. */
  metric: 'ip' | 'l2';
  dim: number;
  /** Graph degree (HNSW M / usearch connectivity). */
  m: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  /** Threads for batch inserts where the library has them (usearch); 0 = library default. */
  threads?: number;
}

export const DEFAULT_ANN_OPTIONS: Omit<AnnOptions, 'metric' | 'dim'> = {
  m: 16,
  efConstruction: 200,
  efSearch: 96,
  seed: 42,
};
