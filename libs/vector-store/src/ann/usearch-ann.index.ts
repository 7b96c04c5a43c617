import { existsSync } from 'node:fs';
import { Index, MetricKind, ScalarKind } from 'usearch';
import type { AnnIndex, AnnOptions } from './ann-index';

/**
 * USearch HNSW: multi-threaded batch inserts, SIMD distances. No predicate during the walk in the
 * JavaScript binding, so filtered queries over-fetch and the caller checks the predicate.
 */
export class UsearchAnnIndex implements AnnIndex {
  readonly library = 'usearch' as const;
  private readonly index: Index;

  constructor(
    private readonly options: AnnOptions,
    loadFrom?: { path: string },
  ) {
    this.index = new Index({
      dimensions: options.dim,
      metric: options.metric === 'ip' ? MetricKind.IP : MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: options.m,
      expansion_add: options.efConstruction,
      expansion_search: options.efSearch,
      multi: false,
    });
    if (loadFrom && existsSync(loadFrom.path)) this.index.load(loadFrom.path);
  }

  get size(): number {
    return this.index.size();
  }

  addBatch(slots: ArrayLike<number>, data: Float32Array): void {
    const keys = new BigUint64Array(slots.length);
    for (let i = 0; i < slots.length; i++) keys[i] = BigInt(slots[i]);
    // replacing a key: usearch keeps one vector per key only after the old one is removed
    const present = this.index.contains(keys);
    const dupes = keys.filter((_k, i) => (Array.isArray(present) ? present[i] : present));
    if (dupes.length > 0) this.index.remove(dupes);
    this.index.add(keys, data, this.options.threads ?? 0);
  }

  remove(slot: number): void {
    this.index.remove(BigInt(slot));
  }

  search(query: Float32Array, k: number, accept?: (slot: number) => boolean): number[] {
    const size = this.index.size();
    if (size === 0) return [];
    let fetch = Math.min(size, accept ? k * 4 : k);
    for (;;) {
      const m = this.index.search(query, fetch, 1);
      const out: number[] = [];
      for (let i = 0; i < m.keys.length; i++) {
        const slot = Number(m.keys[i]);
        if (!accept || accept(slot)) out.push(slot);
        if (out.length === k) return out;
      }
      if (fetch >= size || m.keys.length < fetch) return out;
      fetch = Math.min(size, fetch * 4);
    }
  }

  setEfSearch(ef: number): void {
    this.options.efSearch = ef;
    // the binding fixes expansion_search at construction; rebuilding is the caller's job
  }

  save(path: string): void {
    this.index.save(path);
  }
}
