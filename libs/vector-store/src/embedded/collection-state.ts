import type { AnnIndex } from '../ann/ann-index';
import type { Distance, Payload, PointId, VectorParams } from '../vector-store.types';

/** One vector space of a collection ('' is the unnamed one): a row-per-slot float32 matrix. */
export interface SpaceState {
  name: string;
  dim: number;
  distance: Distance;
  data: Float32Array;
  ann?: AnnIndex;
  /** A graph being built in the background: slots below `cursor` are in it. */
  build?: { ann: AnnIndex; cursor: number; done: Promise<void> };
}

/**
 * The in-memory image of one collection, rebuilt from SQLite at open. Slots are dense row numbers
 * shared by every vector space and used as ANN labels; a deleted point's slot is reused.
 */
export class CollectionState {
  readonly spaces = new Map<string, SpaceState>();
  readonly slotOf = new Map<string, number>();
  ids: (PointId | undefined)[] = [];
  keys: (string | undefined)[] = [];
  payloads: (Payload | undefined)[] = [];
  live = 0;
  /** Writes since the ANN checkpoint was last saved. */
  changesSinceCheckpoint = 0;
  private freeSlots: number[] = [];
  private sortedKeys: string[] | undefined;

  constructor(
    readonly name: string,
    readonly vectors: VectorParams | Record<string, VectorParams>,
  ) {
    for (const [spaceName, p] of CollectionState.spaceParams(vectors)) {
      this.spaces.set(spaceName, { name: spaceName, dim: p.size, distance: p.distance, data: new Float32Array(0) });
    }
  }

  static isSingle(vectors: VectorParams | Record<string, VectorParams>): vectors is VectorParams {
    return typeof (vectors as VectorParams).size === 'number';
  }

  /** ['' , params] for a single vector; [name, params] per named vector, sorted by name. */
  static spaceParams(vectors: VectorParams | Record<string, VectorParams>): [string, VectorParams][] {
    if (CollectionState.isSingle(vectors)) return [['', vectors]];
    return Object.keys(vectors)
      .sort()
      .map((k) => [k, vectors[k]]);
  }

  get slotCount(): number {
    return this.ids.length;
  }

  /** The slot for a key, allocating (reusing a free one first) when the point is new. */
  slotFor(key: string, id: PointId): number {
    const existing = this.slotOf.get(key);
    if (existing !== undefined) return existing;
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.ids.length;
    this.placeAt(slot, key, id);
    return slot;
  }

  /** Puts a point at a given slot (used when restoring a checkpoint's slot map). */
  placeAt(slot: number, key: string, id: PointId): void {
    while (this.ids.length <= slot) {
      this.ids.push(undefined);
      this.keys.push(undefined);
      this.payloads.push(undefined);
    }
    this.ids[slot] = id;
    this.keys[slot] = key;
    this.slotOf.set(key, slot);
    this.live++;
    this.sortedKeys = undefined;
    this.ensureCapacity(slot + 1);
  }

  /** Called after restoring fixed slots: every hole becomes reusable. */
  collectFreeSlots(): void {
    this.freeSlots = [];
    for (let s = this.ids.length - 1; s >= 0; s--) if (this.ids[s] === undefined) this.freeSlots.push(s);
  }

  release(key: string): number | undefined {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return undefined;
    this.slotOf.delete(key);
    this.ids[slot] = undefined;
    this.keys[slot] = undefined;
    this.payloads[slot] = undefined;
    this.freeSlots.push(slot);
    this.live--;
    this.sortedKeys = undefined;
    return slot;
  }

  setVector(space: SpaceState, slot: number, v: Float32Array): void {
    space.data.set(v, slot * space.dim);
  }

  vectorAt(space: SpaceState, slot: number): Float32Array {
    return space.data.subarray(slot * space.dim, (slot + 1) * space.dim);
  }

  /** Live keys in Qdrant id order (cached until the next write). */
  orderedKeys(): string[] {
    if (!this.sortedKeys) this.sortedKeys = [...this.slotOf.keys()].sort();
    return this.sortedKeys;
  }

  private ensureCapacity(slots: number): void {
    for (const space of this.spaces.values()) {
      if (space.data.length >= slots * space.dim) continue;
      let cap = Math.max(1024, space.data.length / space.dim);
      while (cap < slots) cap *= 2;
      const grown = new Float32Array(cap * space.dim);
      grown.set(space.data);
      space.data = grown;
    }
  }
}
