import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, CorruptDataError, InvalidInputError, NotFoundError, TesseraError } from '@tessera/common';
import { DEFAULT_ANN_OPTIONS, type AnnIndex, type AnnLibrary, type AnnOptions } from '../ann/ann-index';
import { HnswlibAnnIndex } from '../ann/hnswlib-ann.index';
import { UsearchAnnIndex } from '../ann/usearch-ann.index';
import { compileFilter } from '../payload-filter';
import {
  normalisePointId,
  parsePayload,
  pointIdKey,
  serialisePayload,
  toFloat32Vector,
  validateCollectionName,
  validateVectorParams,
} from '../point-validation';
import { TopK } from '../top-k';
import {
  averageVectorTarget,
  bestScore,
  internalThreshold,
  normaliseInPlace,
  publicScore,
  scoreInto,
  similarityAt,
  sumScores,
} from '../vector-math';
import { VectorStore } from '../vector-store.port';
import type {
  AliasDescription,
  AliasOperation,
  CollectionInfo,
  CreateCollectionParams,
  Filter,
  PointId,
  PointRecord,
  PointStruct,
  PointsSelector,
  ReadOptions,
  RecommendExample,
  RecommendRequest,
  RejectedPoint,
  ScoredPoint,
  ScrollRequest,
  ScrollResult,
  SearchRequest,
  UpsertOptions,
  UpsertResult,
  VectorParams,
  VectorStoreDescription,
  VectorStoreHealth,
} from '../vector-store.types';
import { CollectionState, type SpaceState } from './collection-state';

export interface EmbeddedVectorStoreOptions {
  /** Folder for `vectors.db` and index checkpoints; omitted = in memory only (tests, fakes). */
  dir?: string;
  /** Native HNSW library; hnswlib by default (chosen by bench/vectors, see the package README). */
  annLibrary?: AnnLibrary;
  /** Below this many points a collection is searched exactly, with no graph. Default 20,000. */
  exactThreshold?: number;
  /**
   * A filter matching at most this fraction of the collection is answered by an exact scan of the
   * matching points (no missed hits); above it the graph walks with the filter. Default 0.2.
   */
  exactFilterFraction?: number;
  ann?: Partial<Omit<AnnOptions, 'metric' | 'dim'>>;
  /** Writes between index checkpoints. Default 20,000. */
  checkpointEvery?: number;
  /**
   * Build a missing graph in small chunks between other work (default true), answering exactly
   * until it is ready, so a server never stalls for the length of a build. `false` builds it
   * synchronously on the first search that needs it.
   */
  backgroundBuild?: boolean;
}

/** Points added to a graph per event-loop turn while building in the background. */
const BUILD_CHUNK = 1000;

interface PreparedPoint {
  key: string;
  id: PointId;
  payloadText: string;
  payload: Record<string, unknown>;
  vectors: Map<string, Float32Array>;
  blob: Buffer;
}

interface Sidecar {
  generation: number;
  library: AnnLibrary;
  highWater: number;
  slots: [string, number][];
  spaces: string[];
  /** sha256 per index file, checked before a native library parses it. */
  sha256: Record<string, string>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, params TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, collection TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
  collection TEXT NOT NULL, pid TEXT NOT NULL, payload TEXT NOT NULL, vectors BLOB NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (collection, pid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/**
 * The default vector store: no server. Points and payloads live in a SQLite file (WAL,
 * synchronous=FULL: a write is acknowledged only after its commit is fsynced to the WAL, so neither
 * `kill -9` nor power loss drops it; NORMAL would survive kill -9 but not power loss). The HNSW
 * index is derived data: rebuilt from the rows when missing or unreadable, checkpointed every
 * `checkpointEvery` writes and at close, and reconciled with the rows written since.
 */
export class EmbeddedVectorStore extends VectorStore {
  private readonly db: Database.Database;
  private readonly collections = new Map<string, CollectionState>();
  private readonly aliases = new Map<string, string>();
  private readonly library: AnnLibrary;
  private readonly exactThreshold: number;
  private readonly exactFilterFraction: number;
  private readonly annDefaults: Omit<AnnOptions, 'metric' | 'dim'>;
  private readonly checkpointEvery: number;
  private version = 0;
  private closed = false;

  constructor(private readonly options: EmbeddedVectorStoreOptions = {}) {
    super();
    this.library = options.annLibrary ?? 'hnswlib';
    this.exactThreshold = options.exactThreshold ?? 20_000;
    this.exactFilterFraction = options.exactFilterFraction ?? 0.2;
    this.annDefaults = { ...DEFAULT_ANN_OPTIONS, ...options.ann };
    this.checkpointEvery = options.checkpointEvery ?? 20_000;
    if (options.dir) mkdirSync(this.indexDir(), { recursive: true });
    try {
      this.db = new Database(options.dir ? join(options.dir, 'vectors.db') : ':memory:', { timeout: 1000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      // one process owns a data folder: a second opener fails fast instead of reading stale memory
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.exec(SCHEMA);
      this.db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_BUSY') {
        throw new ConflictError(`vector store at ${options.dir} is in use by another process`, { dir: options.dir });
      }
      throw new CorruptDataError(
        `cannot open vector store at ${options.dir}: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
    this.load();
  }

  // ---------------------------------------------------------------- collections

  async createCollection(name: string, params: CreateCollectionParams): Promise<void> {
    validateCollectionName(name);
    const vectors = this.validateCollectionParams(params);
    if (this.collections.has(name) || this.aliases.has(name)) {
      throw new ConflictError(`collection or alias '${name}' already exists`, { collection: name });
    }
    this.db
      .prepare('INSERT INTO collections (name, params, created_at) VALUES (?, ?, ?)')
      .run(name, JSON.stringify(vectors), Date.now());
    this.collections.set(name, new CollectionState(name, vectors));
  }

  async deleteCollection(name: string): Promise<boolean> {
    const state = this.collections.get(name);
    if (!state) return false;
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM points WHERE collection = ?').run(name);
      this.db.prepare('DELETE FROM aliases WHERE collection = ?').run(name);
      this.db.prepare('DELETE FROM collections WHERE name = ?').run(name);
    })();
    this.collections.delete(name);
    for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
    this.removeCheckpointFiles(name);
    return true;
  }

  async collectionExists(name: string): Promise<boolean> {
    return this.collections.has(this.aliases.get(name) ?? name);
  }

  async listCollections(): Promise<string[]> {
    return [...this.collections.keys()].sort();
  }

  async getCollection(name: string): Promise<CollectionInfo> {
    const c = this.resolve(name);
    const ann = [...c.spaces.values()].find((s) => s.ann)?.ann;
    const building = [...c.spaces.values()].find((s) => s.build)?.build;
    return {
      name: c.name,
      vectors: c.vectors,
      pointsCount: c.live,
      detail: {
        index: ann ? `${ann.library} hnsw` : building ? `exact (building ${building.ann.library} hnsw)` : 'exact',
        exactThreshold: this.exactThreshold,
        slots: c.slotCount,
      },
    };
  }

  // ---------------------------------------------------------------- writes

  async upsert(collection: string, points: PointStruct[], options: UpsertOptions = {}): Promise<UpsertResult> {
    const c = this.resolve(collection);
    if (!Array.isArray(points)) throw new InvalidInputError('points must be an array', {});
    const prepared: PreparedPoint[] = [];
    const rejected: RejectedPoint[] = [];
    const seen = new Set<string>();
    points.forEach((p, index) => {
      try {
        const pp = this.preparePoint(c, p, index);
        if (seen.has(pp.key)) {
          throw new InvalidInputError(`point ${String(pp.id)} (index ${index}) appears twice in one batch`, {
            id: pp.id,
          });
        }
        seen.add(pp.key);
        prepared.push(pp);
      } catch (e) {
        if (!(e instanceof TesseraError)) throw e;
        rejected.push({ index, id: (p as { id?: unknown })?.id, error: e });
      }
    });
    if (rejected.length > 0 && (options.onInvalid ?? 'reject') === 'reject') throw rejectionError(rejected);
    const batchSize = Math.max(1, options.batchSize ?? 256);
    const insert = this.db.prepare(
      'INSERT OR REPLACE INTO points (collection, pid, payload, vectors, version) VALUES (?, ?, ?, ?, ?)',
    );
    for (let start = 0; start < prepared.length; start += batchSize) {
      const batch = prepared.slice(start, start + batchSize);
      const version = this.version + 1;
      this.db.transaction(() => {
        for (const p of batch) insert.run(c.name, p.key, p.payloadText, p.blob, version);
        this.saveVersion(version);
      })();
      // memory follows only committed rows
      this.version = version;
      this.applyUpserts(c, batch);
    }
    this.maybeCheckpoint(c);
    return { upserted: prepared.length, rejected };
  }

  async delete(collection: string, selector: PointsSelector): Promise<void> {
    const c = this.resolve(collection);
    let keys: string[];
    if (selector && 'ids' in selector && Array.isArray(selector.ids)) {
      keys = selector.ids.map((id, i) => pointIdKey(normalisePointId(id, `ids[${i}]`)));
    } else if (selector && 'filter' in selector) {
      const predicate = compileFilter(selector.filter) ?? (() => true);
      keys = [];
      for (const key of c.slotOf.keys()) {
        const slot = c.slotOf.get(key)!;
        if (predicate(c.ids[slot]!, c.payloads[slot])) keys.push(key);
      }
    } else {
      throw new InvalidInputError('delete needs { ids } or { filter }', {});
    }
    keys = keys.filter((k) => c.slotOf.has(k));
    if (keys.length === 0) return;
    const del = this.db.prepare('DELETE FROM points WHERE collection = ? AND pid = ?');
    const version = this.version + 1;
    this.db.transaction(() => {
      for (const k of keys) del.run(c.name, k);
      this.saveVersion(version);
    })();
    this.version = version;
    for (const k of keys) {
      const slot = c.release(k);
      if (slot === undefined) continue;
      for (const space of c.spaces.values()) {
        space.ann?.remove(slot);
        space.build?.ann.remove(slot);
      }
    }
    c.changesSinceCheckpoint += keys.length;
    this.maybeCheckpoint(c);
  }

  // ---------------------------------------------------------------- reads

  async get(collection: string, ids: PointId[], options: ReadOptions = {}): Promise<PointRecord[]> {
    const c = this.resolve(collection);
    const out: PointRecord[] = [];
    ids.forEach((raw, i) => {
      const slot = c.slotOf.get(pointIdKey(normalisePointId(raw, `ids[${i}]`)));
      if (slot !== undefined) out.push(this.record(c, slot, options));
    });
    return out;
  }

  async scroll(collection: string, request: ScrollRequest = {}): Promise<ScrollResult> {
    const c = this.resolve(collection);
    const limit = positiveInt(request.limit ?? 10, 'limit');
    const predicate = compileFilter(request.filter);
    const keys = c.orderedKeys();
    let i = 0;
    if (request.offset !== undefined && request.offset !== null) {
      const from = pointIdKey(normalisePointId(request.offset, 'offset'));
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keys[mid] < from) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    const points: PointRecord[] = [];
    for (; i < keys.length; i++) {
      const slot = c.slotOf.get(keys[i])!;
      if (predicate && !predicate(c.ids[slot]!, c.payloads[slot])) continue;
      if (points.length === limit) return { points, nextPageOffset: c.ids[slot]! };
      points.push(this.record(c, slot, request));
    }
    return { points, nextPageOffset: null };
  }

  async count(collection: string, filter?: Filter | null): Promise<number> {
    const c = this.resolve(collection);
    const predicate = compileFilter(filter);
    if (!predicate) return c.live;
    let n = 0;
    for (const slot of c.slotOf.values()) if (predicate(c.ids[slot]!, c.payloads[slot])) n++;
    return n;
  }

  async search(collection: string, request: SearchRequest): Promise<ScoredPoint[]> {
    const c = this.resolve(collection);
    const space = this.space(c, request.using);
    const query = toFloat32Vector(request.vector, space.dim, 'search vector');
    if (space.distance === 'Cosine') normaliseInPlace(query);
    return this.nearest(c, space, query, request, new Set());
  }

  async searchBatch(collection: string, requests: SearchRequest[]): Promise<ScoredPoint[][]> {
    const out: ScoredPoint[][] = [];
    for (const r of requests) out.push(await this.search(collection, r));
    return out;
  }

  async recommend(collection: string, request: RecommendRequest): Promise<ScoredPoint[]> {
    const c = this.resolve(collection);
    const space = this.space(c, request.using);
    const exampleSlots = new Set<number>();
    const examples = (list: RecommendExample[] | undefined, what: string): Float32Array[] =>
      (list ?? []).map((ex, i) => {
        if (typeof ex === 'number' || typeof ex === 'string') {
          const id = normalisePointId(ex, `${what}[${i}]`);
          const slot = c.slotOf.get(pointIdKey(id));
          if (slot === undefined) {
            throw new NotFoundError(`${what} example point ${String(id)} not found in '${c.name}'`, { id });
          }
          exampleSlots.add(slot);
          return Float32Array.from(c.vectorAt(space, slot));
        }
        const v = toFloat32Vector(ex, space.dim, `${what}[${i}]`);
        return space.distance === 'Cosine' ? normaliseInPlace(v) : v;
      });
    const positives = examples(request.positive, 'positive');
    const negatives = examples(request.negative, 'negative');
    const strategy = request.strategy ?? 'average_vector';
    if (strategy === 'average_vector') {
      if (positives.length === 0) {
        throw new InvalidInputError('average_vector recommend needs at least one positive example', {});
      }
      const target = averageVectorTarget(positives, negatives);
      if (space.distance === 'Cosine') normaliseInPlace(target);
      return this.nearest(c, space, target, request, exampleSlots);
    }
    if (strategy !== 'best_score' && strategy !== 'sum_scores') {
      throw new InvalidInputError(`unknown recommend strategy '${String(strategy)}'`, { strategy });
    }
    if (positives.length + negatives.length === 0) {
      throw new InvalidInputError(`${strategy} recommend needs at least one example`, {});
    }
    // custom objectives have no single query vector: score every candidate exactly
    const { limit, offset } = pageOf(request);
    const accept = this.acceptor(c, request, exampleSlots);
    const top = new TopK(limit + offset);
    const posSims = new Array<number>(positives.length);
    const negSims = new Array<number>(negatives.length);
    const threshold = request.scoreThreshold;
    for (let slot = 0; slot < c.ids.length; slot++) {
      if (c.ids[slot] === undefined || !accept(slot)) continue;
      const off = slot * space.dim;
      for (let i = 0; i < positives.length; i++)
        posSims[i] = similarityAt(space.distance, space.data, off, positives[i]);
      for (let i = 0; i < negatives.length; i++)
        negSims[i] = similarityAt(space.distance, space.data, off, negatives[i]);
      const score = strategy === 'best_score' ? bestScore(posSims, negSims) : sumScores(posSims, negSims);
      if (threshold !== undefined && threshold !== null && score < threshold) continue;
      top.push(slot, score);
    }
    return top
      .sorted()
      .slice(offset)
      .map(({ slot, score }) => ({ ...this.record(c, slot, request), score }));
  }

  async recommendBatch(collection: string, requests: RecommendRequest[]): Promise<ScoredPoint[][]> {
    const out: ScoredPoint[][] = [];
    for (const r of requests) out.push(await this.recommend(collection, r));
    return out;
  }

  // ---------------------------------------------------------------- aliases

  async updateAliases(operations: AliasOperation[]): Promise<void> {
    const next = new Map(this.aliases);
    for (const op of operations) {
      if ('createAlias' in op) {
        const { alias, collection } = op.createAlias;
        validateCollectionName(alias, 'alias');
        if (!this.collections.has(collection))
          throw new NotFoundError(`collection '${collection}' not found`, { collection });
        if (this.collections.has(alias)) throw new ConflictError(`'${alias}' is a collection name`, { alias });
        next.set(alias, collection);
      } else if ('deleteAlias' in op) {
        if (!next.delete(op.deleteAlias.alias)) {
          throw new NotFoundError(`alias '${op.deleteAlias.alias}' not found`, { alias: op.deleteAlias.alias });
        }
      } else if ('renameAlias' in op) {
        const { from, to } = op.renameAlias;
        const target = next.get(from);
        if (target === undefined) throw new NotFoundError(`alias '${from}' not found`, { alias: from });
        validateCollectionName(to, 'alias');
        next.delete(from);
        next.set(to, target);
      } else {
        throw new InvalidInputError('unknown alias operation', { op });
      }
    }
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM aliases').run();
      const ins = this.db.prepare('INSERT INTO aliases (alias, collection) VALUES (?, ?)');
      for (const [a, t] of next) ins.run(a, t);
    })();
    this.aliases.clear();
    for (const [a, t] of next) this.aliases.set(a, t);
  }

  async listAliases(): Promise<AliasDescription[]> {
    return [...this.aliases]
      .map(([alias, collection]) => ({ alias, collection }))
      .sort((a, b) => a.alias.localeCompare(b.alias));
  }

  // ---------------------------------------------------------------- lifecycle

  async ping(): Promise<VectorStoreHealth> {
    try {
      this.db.prepare('SELECT 1').get();
      return { ok: true, kind: 'embedded', detail: { ...this.describe().detail } };
    } catch (e) {
      return { ok: false, kind: 'embedded', error: (e as Error).message };
    }
  }

  describe(): VectorStoreDescription {
    return {
      kind: 'embedded',
      location: this.options.dir ?? ':memory:',
      detail: {
        annLibrary: this.library,
        collections: this.collections.size,
        points: [...this.collections.values()].reduce((n, c) => n + c.live, 0),
        exactThreshold: this.exactThreshold,
      },
    };
  }

  /**
   * Search breadth of the HNSW graphs (recall against speed). hnswlib applies it at once; usearch
   * fixes it when a graph is built, so it applies to graphs built afterwards.
   */
  setEfSearch(ef: number): void {
    if (!Number.isSafeInteger(ef) || ef < 1) throw new InvalidInputError('efSearch must be a positive integer', { ef });
    this.annDefaults.efSearch = ef;
    for (const c of this.collections.values()) for (const s of c.spaces.values()) s.ann?.setEfSearch(ef);
  }

  /** Saves index checkpoints for every collection with a graph (also done at close). */
  checkpoint(): void {
    for (const c of this.collections.values()) this.saveCheckpoint(c);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.checkpoint();
    this.db.close();
    this.closed = true;
  }

  // ---------------------------------------------------------------- search internals

  private nearest(
    c: CollectionState,
    space: SpaceState,
    query: Float32Array,
    request: SearchRequest | RecommendRequest,
    extraExcluded: Set<number>,
  ): ScoredPoint[] {
    const { limit, offset } = pageOf(request);
    const k = limit + offset;
    const predicate = compileFilter(request.filter);
    const excluded = this.excludedSlots(c, request.exclude, extraExcluded);
    const threshold =
      request.scoreThreshold === undefined || request.scoreThreshold === null
        ? -Infinity
        : internalThreshold(space.distance, request.scoreThreshold);
    let candidates: number[] | undefined;
    let useGraph = c.live >= this.exactThreshold;
    if (useGraph && predicate) {
      // a selective filter is answered exactly: the graph would miss hits it cannot reach
      const matching: number[] = [];
      for (let slot = 0; slot < c.ids.length; slot++) {
        const id = c.ids[slot];
        if (id !== undefined && predicate(id, c.payloads[slot])) matching.push(slot);
      }
      if (matching.length <= Math.max(this.exactThreshold, c.live * this.exactFilterFraction)) {
        useGraph = false;
        candidates = matching;
      }
    }
    const accept = (slot: number): boolean =>
      !excluded.has(slot) && (!predicate || predicate(c.ids[slot]!, c.payloads[slot]));
    let ranked: { slot: number; score: number }[];
    const ann = useGraph ? this.graphFor(c, space) : undefined;
    if (ann) {
      const slots = ann.search(query, k, excluded.size > 0 || predicate ? accept : undefined);
      ranked = slots
        .filter((s) => c.ids[s] !== undefined)
        .map((slot) => ({ slot, score: similarityAt(space.distance, space.data, slot * space.dim, query) }))
        .sort((a, b) => b.score - a.score || a.slot - b.slot);
    } else {
      const top = new TopK(k);
      const euclid = space.distance === 'Euclid';
      if (candidates) {
        const skip = excluded.size > 0;
        for (const slot of candidates) {
          if (skip && excluded.has(slot)) continue;
          scoreInto(top, euclid, space.data, slot, query);
        }
      } else {
        for (let slot = 0; slot < c.ids.length; slot++) {
          if (c.ids[slot] === undefined || !accept(slot)) continue;
          scoreInto(top, euclid, space.data, slot, query);
        }
      }
      ranked = top.sorted();
    }
    return ranked
      .filter((r) => r.score >= threshold)
      .slice(offset, k)
      .map(({ slot, score }) => ({ ...this.record(c, slot, request), score: publicScore(space.distance, score) }));
  }

  private acceptor(
    c: CollectionState,
    request: SearchRequest | RecommendRequest,
    extra: Set<number>,
  ): (slot: number) => boolean {
    const predicate = compileFilter(request.filter);
    const excluded = this.excludedSlots(c, request.exclude, extra);
    return (slot) => !excluded.has(slot) && (!predicate || predicate(c.ids[slot]!, c.payloads[slot]));
  }

  private excludedSlots(c: CollectionState, exclude: PointId[] | undefined, extra: Set<number>): Set<number> {
    const out = new Set(extra);
    (exclude ?? []).forEach((id, i) => {
      const slot = c.slotOf.get(pointIdKey(normalisePointId(id, `exclude[${i}]`)));
      if (slot !== undefined) out.add(slot);
    });
    return out;
  }

  /** The graph if ready; otherwise starts building it (in the background by default) and says to scan. */
  private graphFor(c: CollectionState, space: SpaceState): AnnIndex | undefined {
    if (space.ann) return space.ann;
    if (this.options.backgroundBuild === false) {
      this.startBuild(c, space, true);
      return space.ann;
    }
    if (!space.build) this.startBuild(c, space, false);
    return undefined;
  }

  /** Builds the graphs of a collection now (whatever its size) and resolves when they answer queries. */
  async buildIndex(collection: string): Promise<void> {
    const c = this.resolve(collection);
    for (const space of c.spaces.values()) {
      if (space.ann) continue;
      if (!space.build) this.startBuild(c, space, false);
      await space.build?.done;
    }
  }

  private startBuild(c: CollectionState, space: SpaceState, synchronous: boolean): void {
    const ann = this.newAnn(space);
    const state: NonNullable<SpaceState['build']> = { ann, cursor: 0, done: Promise.resolve() };
    const step = (): boolean => {
      const end = synchronous ? c.slotCount : Math.min(c.slotCount, state.cursor + BUILD_CHUNK);
      const slots: number[] = [];
      for (let slot = state.cursor; slot < end; slot++) if (c.ids[slot] !== undefined) slots.push(slot);
      const buf = new Float32Array(slots.length * space.dim);
      slots.forEach((slot, i) => buf.set(c.vectorAt(space, slot), i * space.dim));
      ann.addBatch(slots, buf);
      state.cursor = end;
      if (state.cursor < c.slotCount) return false;
      space.ann = ann;
      space.build = undefined;
      c.changesSinceCheckpoint = Math.max(c.changesSinceCheckpoint, this.checkpointEvery); // a fresh graph is worth saving
      this.maybeCheckpoint(c);
      return true;
    };
    if (synchronous) {
      step();
      return;
    }
    space.build = state;
    state.done = new Promise<void>((resolve) => {
      const tick = (): void => {
        // abandoned (store closed, collection dropped): the rows stay the truth
        if (this.closed || space.build !== state || this.collections.get(c.name) !== c) return resolve();
        try {
          if (step()) return resolve();
        } catch {
          space.build = undefined;
          return resolve();
        }
        setImmediate(tick);
      };
      setImmediate(tick);
    });
  }

  private newAnn(space: SpaceState, loadFrom?: { path: string; slots: Iterable<number> }): AnnIndex {
    const opts: AnnOptions = {
      ...this.annDefaults,
      metric: space.distance === 'Euclid' ? 'l2' : 'ip',
      dim: space.dim,
    };
    return this.library === 'usearch' ? new UsearchAnnIndex(opts, loadFrom) : new HnswlibAnnIndex(opts, loadFrom);
  }

  // ---------------------------------------------------------------- write internals

  private preparePoint(c: CollectionState, p: PointStruct, index: number): PreparedPoint {
    if (!p || typeof p !== 'object') throw new InvalidInputError(`point at index ${index} is not an object`, { index });
    const id = normalisePointId(p.id, `point at index ${index}: id`);
    const where = `point ${String(id)} (index ${index})`;
    const vectors = new Map<string, Float32Array>();
    const single = CollectionState.isSingle(c.vectors);
    for (const [name, space] of c.spaces) {
      let raw: unknown;
      if (single) raw = p.vector;
      else {
        if (!p.vector || typeof p.vector !== 'object' || Array.isArray(p.vector) || p.vector instanceof Float32Array) {
          throw new InvalidInputError(
            `${where}: the collection has named vectors; pass { ${[...c.spaces.keys()].join(', ')} }`,
            {
              id,
            },
          );
        }
        raw = (p.vector as Record<string, unknown>)[name];
        if (raw === undefined)
          throw new InvalidInputError(`${where}: named vector '${name}' is missing`, { id, vector: name });
      }
      const v = toFloat32Vector(raw, space.dim, single ? where : `${where} vector '${name}'`);
      vectors.set(name, space.distance === 'Cosine' ? normaliseInPlace(v) : v);
    }
    if (!single) {
      for (const name of Object.keys(p.vector as object)) {
        if (!c.spaces.has(name))
          throw new InvalidInputError(`${where}: unknown named vector '${name}'`, { id, vector: name });
      }
    }
    const payloadText = serialisePayload(p.payload, where);
    const parts = [...c.spaces.keys()].map((n) => vectors.get(n)!);
    const total = parts.reduce((n, v) => n + v.length, 0);
    const all = new Float32Array(total);
    let off = 0;
    for (const v of parts) {
      all.set(v, off);
      off += v.length;
    }
    return {
      key: pointIdKey(id),
      id,
      payloadText,
      payload: parsePayload(payloadText),
      vectors,
      blob: Buffer.from(all.buffer, all.byteOffset, all.byteLength),
    };
  }

  private applyUpserts(c: CollectionState, batch: PreparedPoint[]): void {
    const slots = batch.map((p) => {
      const slot = c.slotFor(p.key, p.id);
      c.payloads[slot] = p.payload;
      return slot;
    });
    for (const space of c.spaces.values()) {
      const buf = new Float32Array(batch.length * space.dim);
      batch.forEach((p, i) => {
        const v = p.vectors.get(space.name)!;
        c.setVector(space, slots[i], v);
        buf.set(v, i * space.dim);
      });
      if (space.ann) space.ann.addBatch(slots, buf);
      else if (space.build) {
        // slots the background build has passed must be added here; later ones it will pick up
        const cursor = space.build.cursor;
        const behind = slots.map((slot, i) => [slot, i]).filter(([slot]) => slot < cursor);
        if (behind.length > 0) {
          const part = new Float32Array(behind.length * space.dim);
          behind.forEach(([, i], j) => part.set(buf.subarray(i * space.dim, (i + 1) * space.dim), j * space.dim));
          space.build.ann.addBatch(
            behind.map(([slot]) => slot),
            part,
          );
        }
      }
    }
    c.changesSinceCheckpoint += batch.length;
  }

  private saveVersion(version: number): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)").run(version);
  }

  // ---------------------------------------------------------------- load and checkpoints

  private load(): void {
    const versionRow = this.db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as
      { value: number } | undefined;
    this.version = versionRow?.value ?? 0;
    const rows = this.db.prepare('SELECT name, params FROM collections').all() as { name: string; params: string }[];
    for (const row of rows) {
      let vectors: VectorParams | Record<string, VectorParams>;
      try {
        vectors = JSON.parse(row.params) as VectorParams | Record<string, VectorParams>;
      } catch (e) {
        throw new CorruptDataError(
          `collection '${row.name}' has unreadable parameters`,
          { collection: row.name },
          { cause: e },
        );
      }
      const c = new CollectionState(row.name, vectors);
      this.collections.set(row.name, c);
      this.loadPoints(c);
    }
    for (const a of this.db.prepare('SELECT alias, collection FROM aliases').all() as {
      alias: string;
      collection: string;
    }[]) {
      this.aliases.set(a.alias, a.collection);
    }
  }

  private loadPoints(c: CollectionState): void {
    const sidecar = this.readSidecar(c);
    const spaces = [...c.spaces.values()];
    const rows = this.db
      .prepare('SELECT pid, payload, vectors, version FROM points WHERE collection = ?')
      .iterate(c.name) as IterableIterator<{ pid: string; payload: string; vectors: Buffer; version: number }>;
    const stale: { slot: number }[] = [];
    const pending: { pid: string; payload: string; vectors: Buffer }[] = [];
    const checkpointSlots = new Map(sidecar?.slots ?? []);
    const place = (pid: string, payload: string, blob: Buffer, slot: number | undefined): number => {
      const id = pid[0] === '0' ? Number(pid.slice(1)) : pid.slice(1);
      if (slot === undefined) slot = c.slotFor(pid, id);
      else c.placeAt(slot, pid, id);
      try {
        c.payloads[slot] = parsePayload(payload);
      } catch (e) {
        throw new CorruptDataError(
          `point ${pid} in '${c.name}' has an unreadable payload`,
          { collection: c.name },
          { cause: e },
        );
      }
      const all = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
      let off = 0;
      for (const s of spaces) {
        c.setVector(s, slot, all.subarray(off, off + s.dim));
        off += s.dim;
      }
      return slot;
    };
    for (const row of rows) {
      const fixed = checkpointSlots.get(row.pid);
      if (fixed === undefined) {
        pending.push(row); // new since the checkpoint: placed after the fixed slots
        continue;
      }
      checkpointSlots.delete(row.pid);
      const slot = place(row.pid, row.payload, row.vectors, fixed);
      if (row.version > (sidecar?.highWater ?? 0)) stale.push({ slot });
    }
    c.collectFreeSlots();
    const added = pending.map((row) => place(row.pid, row.payload, row.vectors, undefined));
    if (!sidecar) return;
    // reconcile the checkpointed graph with rows written or deleted after it
    try {
      for (const space of spaces) {
        const path = this.indexPath(c.name, space.name, sidecar.generation);
        if (!existsSync(path)) throw new Error(`missing ${path}`);
        if (sha256(readFileSync(path)) !== sidecar.sha256?.[space.name])
          throw new Error(`checksum mismatch in ${path}`);
        const ann = this.newAnn(space, { path, slots: sidecar.slots.map(([, s]) => s) });
        for (const slot of checkpointSlots.values()) ann.remove(slot);
        const touched = [...stale.map((s) => s.slot), ...added];
        if (touched.length > 0) {
          const buf = new Float32Array(touched.length * space.dim);
          touched.forEach((slot, i) => buf.set(c.vectorAt(space, slot), i * space.dim));
          ann.addBatch(touched, buf);
        }
        space.ann = ann;
      }
      c.changesSinceCheckpoint = stale.length + added.length + checkpointSlots.size;
    } catch {
      // derived data only: drop it and rebuild lazily from the rows
      for (const space of spaces) space.ann = undefined;
    }
  }

  private readSidecar(c: CollectionState): Sidecar | undefined {
    if (!this.options.dir) return undefined;
    const path = join(this.indexDir(), `${c.name}~checkpoint.json`);
    if (!existsSync(path)) return undefined;
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as Sidecar;
      const names = [...c.spaces.keys()];
      if (s.library !== this.library || JSON.stringify(s.spaces) !== JSON.stringify(names)) return undefined;
      return s;
    } catch {
      return undefined;
    }
  }

  private maybeCheckpoint(c: CollectionState): void {
    if (c.changesSinceCheckpoint >= this.checkpointEvery) this.saveCheckpoint(c);
  }

  /**
   * Index files are written under a new generation number, then the sidecar naming that
   * generation is renamed into place, so a crash leaves either the old or the new checkpoint.
   */
  private saveCheckpoint(c: CollectionState): void {
    if (!this.options.dir) return;
    const spaces = [...c.spaces.values()];
    if (!spaces.every((s) => s.ann) || c.changesSinceCheckpoint === 0) return;
    const previous = this.readSidecar(c);
    const generation = (previous?.generation ?? 0) + 1;
    const sums: Record<string, string> = {};
    for (const s of spaces) {
      const file = this.indexPath(c.name, s.name, generation);
      s.ann!.save(file);
      fsyncFile(file);
      sums[s.name] = sha256(readFileSync(file));
    }
    const sidecar: Sidecar = {
      sha256: sums,
      generation,
      library: this.library,
      highWater: this.version,
      slots: [...c.slotOf.entries()],
      spaces: spaces.map((s) => s.name),
    };
    const path = join(this.indexDir(), `${c.name}~checkpoint.json`);
    writeFileSync(`${path}.tmp`, JSON.stringify(sidecar));
    fsyncFile(`${path}.tmp`);
    renameSync(`${path}.tmp`, path);
    c.changesSinceCheckpoint = 0;
    for (const f of readdirSync(this.indexDir())) {
      if (f.startsWith(`${c.name}~`) && f.endsWith('.hnsw') && !f.endsWith(`~${generation}.hnsw`)) {
        rmSync(join(this.indexDir(), f), { force: true });
      }
    }
  }

  private removeCheckpointFiles(name: string): void {
    if (!this.options.dir) return;
    for (const f of readdirSync(this.indexDir())) {
      if (f.startsWith(`${name}~`)) rmSync(join(this.indexDir(), f), { force: true });
    }
  }

  private indexDir(): string {
    return join(this.options.dir!, 'index');
  }

  private indexPath(collection: string, space: string, generation: number): string {
    // '~' never occurs in collection or vector names, so one collection's files never match another's
    return join(this.indexDir(), `${collection}~${space || '_'}~${generation}.hnsw`);
  }

  // ---------------------------------------------------------------- helpers

  private resolve(name: string): CollectionState {
    if (this.closed) throw new ConflictError('vector store is closed', {});
    const c = this.collections.get(this.aliases.get(name) ?? name);
    if (!c) throw new NotFoundError(`collection '${name}' not found`, { collection: name });
    return c;
  }

  private space(c: CollectionState, using: string | undefined): SpaceState {
    const s = c.spaces.get(using ?? '');
    if (!s) {
      const names = [...c.spaces.keys()].filter(Boolean);
      throw new InvalidInputError(
        using
          ? `collection '${c.name}' has no vector named '${using}'`
          : `collection '${c.name}' has named vectors; pass using (${names.join(', ')})`,
        { collection: c.name, using },
      );
    }
    return s;
  }

  private record(c: CollectionState, slot: number, options: ReadOptions): PointRecord {
    const rec: PointRecord = { id: c.ids[slot]! };
    if (options.withPayload ?? true) rec.payload = c.payloads[slot] ?? {};
    if (options.withVector) {
      if (CollectionState.isSingle(c.vectors)) rec.vector = Array.from(c.vectorAt(c.spaces.get('')!, slot));
      else {
        const named: Record<string, number[]> = {};
        for (const s of c.spaces.values()) named[s.name] = Array.from(c.vectorAt(s, slot));
        rec.vector = named;
      }
    }
    return rec;
  }

  private validateCollectionParams(params: CreateCollectionParams): VectorParams | Record<string, VectorParams> {
    const v = params?.vectors as unknown;
    if (!v || typeof v !== 'object') throw new InvalidInputError('collection needs vectors: { size, distance }', {});
    if (CollectionState.isSingle(v as VectorParams)) return validateVectorParams(v as VectorParams, 'vectors');
    const entries = Object.entries(v as Record<string, VectorParams>);
    if (entries.length === 0) throw new InvalidInputError('collection needs at least one named vector', {});
    const out: Record<string, VectorParams> = {};
    for (const [name, p] of entries) {
      validateCollectionName(name, 'vector');
      out[name] = validateVectorParams(p, `vectors.${name}`);
    }
    return out;
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function pageOf(request: { limit?: number; offset?: number }): { limit: number; offset: number } {
  const limit = positiveInt(request.limit ?? 10, 'limit');
  const offset = request.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new InvalidInputError('offset must be a non-negative integer', { offset });
  return { limit, offset };
}

function positiveInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidInputError(`${what} must be a positive integer`, { [what]: n });
  return n;
}

/** One typed error for a rejected batch, of the first bad point's kind, listing every bad point. */
export function rejectionError(rejected: RejectedPoint[]): TesseraError {
  const first = rejected[0].error as TesseraError;
  const more =
    rejected.length > 1
      ? ` (and ${rejected.length - 1} more bad points; nothing was written)`
      : ' (nothing was written)';
  const Ctor = first.constructor as new (m: string, d: Record<string, unknown>) => TesseraError;
  return new Ctor(`${first.message}${more}`, {
    rejected: rejected.map((r) => ({
      index: r.index,
      id: r.id,
      code: (r.error as TesseraError).code,
      message: r.error.message,
    })),
  });
}
