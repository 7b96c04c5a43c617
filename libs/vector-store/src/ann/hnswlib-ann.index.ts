import { existsSync } from 'node:fs';
import { HierarchicalNSW } from 'hnswlib-node';
import type { AnnIndex, AnnOptions } from './ann-index';

/** hnswlib (C++ HNSW through hnswlib-node): filter callbacks run inside the graph walk. */
export class HnswlibAnnIndex implements AnnIndex {
  readonly library = 'hnswlib' as const;
  private readonly index: HierarchicalNSW;
  private capacity: number;
  private readonly live = new Set<number>();

  constructor(
    private readonly options: AnnOptions,
    loadFrom?: { path: string; slots: Iterable<number> },
  ) {
    this.index = new HierarchicalNSW(options.metric, options.dim);
    if (loadFrom && existsSync(loadFrom.path)) {
      this.index.readIndexSync(loadFrom.path, false);
      this.capacity = this.index.getMaxElements();
      for (const s of loadFrom.slots) this.live.add(s);
    } else {
      this.capacity = 1024;
      this.index.initIndex(this.capacity, options.m, options.efConstruction, options.seed, false);
    }
    this.index.setEf(options.efSearch);
  }

  get size(): number {
    return this.live.size;
  }

  addBatch(slots: ArrayLike<number>, data: Float32Array): void {
    const d = this.options.dim;
    let maxSlot = -1;
    for (let i = 0; i < slots.length; i++) maxSlot = Math.max(maxSlot, slots[i]);
    if (maxSlot >= this.capacity) {
      while (this.capacity <= maxSlot) this.capacity *= 2;
      this.index.resizeIndex(this.capacity);
    }
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      // hnswlib takes plain arrays; re-adding a label replaces its vector (and revives a deleted one)
      this.index.addPoint(Array.from(data.subarray(i * d, (i + 1) * d)), slot);
      this.live.add(slot);
    }
  }

  remove(slot: number): void {
    if (!this.live.delete(slot)) return;
    this.index.markDelete(slot);
  }

  search(query: Float32Array, k: number, accept?: (slot: number) => boolean): number[] {
    const n = Math.min(k, this.live.size);
    if (n === 0) return [];
    if (this.index.getEf() < n) this.index.setEf(n);
    const res = this.index.searchKnn(Array.from(query), n, accept);
    if (this.index.getEf() !== this.options.efSearch) this.index.setEf(Math.max(this.options.efSearch, 0));
    return res.neighbors;
  }

  setEfSearch(ef: number): void {
    this.options.efSearch = ef;
    this.index.setEf(ef);
  }

  save(path: string): void {
    this.index.writeIndexSync(path);
  }
}
