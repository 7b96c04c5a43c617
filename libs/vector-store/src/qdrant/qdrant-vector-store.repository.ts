import { QdrantClient } from '@qdrant/js-client-rest';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  TesseraError,
  UpstreamUnavailableError,
} from '@tessera/common';
import { rejectionError } from '../embedded/embedded-vector-store.repository';
import { CollectionState } from '../embedded/collection-state';
import { compileFilter } from '../payload-filter';
import {
  normalisePointId,
  serialisePayload,
  toFloat32Vector,
  validateCollectionName,
  validateVectorParams,
} from '../point-validation';
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
  RecommendRequest,
  RejectedPoint,
  ScoredPoint,
  ScrollRequest,
  ScrollResult,
  SearchRequest,
  UpsertOptions,
  UpsertResult,
  Vector,
  VectorParams,
  VectorStoreDescription,
  VectorStoreHealth,
} from '../vector-store.types';

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  /** Scale-out parameters used when this adapter creates a collection. */
  shards?: number;
  replicationFactor?: number;
  writeConsistency?: number;
  /** Attempts for transient failures (network, 429, 5xx). Default 4. */
  attempts?: number;
  /** First retry delay; doubles each time. Default 200 ms. */
  retryDelayMs?: number;
  timeoutMs?: number;
}

type Json = Record<string, unknown>;

/**
 * The scale-out vector store: a thin mapping onto Qdrant's Query API. Points are checked locally
 * with the same rules as the embedded store (so both reject the same input with the same typed
 * error), writes use `wait=true` so an acknowledged write is applied, transient failures are retried
 * with backoff, and a write that still fails is thrown, never dropped.
 */
export class QdrantVectorStore extends VectorStore {
  private readonly client: QdrantClient;
  private readonly params = new Map<string, VectorParams | Record<string, VectorParams>>();

  constructor(private readonly options: QdrantVectorStoreOptions) {
    super();
    this.client = new QdrantClient({
      url: options.url,
      apiKey: options.apiKey,
      checkCompatibility: false,
      timeout: options.timeoutMs ?? 30_000,
    });
  }

  async createCollection(name: string, params: CreateCollectionParams): Promise<void> {
    validateCollectionName(name);
    const vectors = validateParams(params);
    await this.call(`create collection '${name}'`, () =>
      this.client.createCollection(name, {
        vectors,
        shard_number: this.options.shards ?? 1,
        replication_factor: this.options.replicationFactor ?? 1,
        write_consistency_factor: this.options.writeConsistency ?? 1,
      }),
    );
    this.params.set(name, vectors);
  }

  async deleteCollection(name: string): Promise<boolean> {
    const existed = await this.collectionExists(name);
    if (!existed) return false;
    await this.call(`delete collection '${name}'`, () => this.client.deleteCollection(name));
    this.params.clear();
    return true;
  }

  async collectionExists(name: string): Promise<boolean> {
    const r = await this.call(`check collection '${name}'`, () => this.client.collectionExists(name));
    if (r.exists) return true;
    // aliases are accepted wherever a collection is
    return (await this.listAliases()).some((a) => a.alias === name);
  }

  async listCollections(): Promise<string[]> {
    const r = await this.call('list collections', () => this.client.getCollections());
    return r.collections.map((c) => c.name).sort();
  }

  async getCollection(name: string): Promise<CollectionInfo> {
    const info = await this.call(`get collection '${name}'`, () => this.client.getCollection(name), name);
    const vectors = fromQdrantVectors(info.config.params.vectors);
    this.params.set(name, vectors);
    return {
      name,
      vectors,
      pointsCount: info.points_count ?? 0,
      detail: {
        status: info.status,
        shards: info.config.params.shard_number,
        replicationFactor: info.config.params.replication_factor,
        writeConsistency: info.config.params.write_consistency_factor,
        indexedVectors: info.indexed_vectors_count,
      },
    };
  }

  async upsert(collection: string, points: PointStruct[], options: UpsertOptions = {}): Promise<UpsertResult> {
    const vectors = await this.vectorsOf(collection);
    if (!Array.isArray(points)) throw new InvalidInputError('points must be an array', {});
    const good: Json[] = [];
    const rejected: RejectedPoint[] = [];
    const seen = new Set<PointId>();
    points.forEach((p, index) => {
      try {
        const wire = toWirePoint(p, index, vectors);
        if (seen.has(wire.id as PointId)) {
          throw new InvalidInputError(`point ${String(wire.id)} (index ${index}) appears twice in one batch`, {
            id: wire.id,
          });
        }
        seen.add(wire.id as PointId);
        good.push(wire);
      } catch (e) {
        if (!(e instanceof TesseraError)) throw e;
        rejected.push({ index, id: (p as { id?: unknown })?.id, error: e });
      }
    });
    if (rejected.length > 0 && (options.onInvalid ?? 'reject') === 'reject') throw rejectionError(rejected);
    const batchSize = Math.max(1, options.batchSize ?? 256);
    let written = 0;
    for (let start = 0; start < good.length; start += batchSize) {
      const batch = good.slice(start, start + batchSize);
      await this.call(
        `upsert into '${collection}' (points ${written}..${written + batch.length - 1} of ${good.length}; ${written} already written)`,
        () => this.client.upsert(collection, { wait: true, points: batch as never }),
        collection,
      );
      written += batch.length;
    }
    return { upserted: written, rejected };
  }

  async delete(collection: string, selector: PointsSelector): Promise<void> {
    let body: Json;
    if (selector && 'ids' in selector && Array.isArray(selector.ids)) {
      body = { points: selector.ids.map((id, i) => normalisePointId(id, `ids[${i}]`)) };
    } else if (selector && 'filter' in selector) {
      compileFilter(selector.filter);
      body = { filter: selector.filter };
    } else {
      throw new InvalidInputError('delete needs { ids } or { filter }', {});
    }
    await this.call(
      `delete from '${collection}'`,
      () => this.client.delete(collection, { wait: true, ...body } as never),
      collection,
    );
  }

  async get(collection: string, ids: PointId[], options: ReadOptions = {}): Promise<PointRecord[]> {
    const wanted = ids.map((id, i) => normalisePointId(id, `ids[${i}]`));
    const res = await this.call(
      `get points from '${collection}'`,
      () =>
        this.client.retrieve(collection, {
          ids: wanted,
          with_payload: options.withPayload ?? true,
          with_vector: options.withVector ?? false,
        }),
      collection,
    );
    const byId = new Map(res.map((r) => [r.id, r]));
    return wanted.filter((id) => byId.has(id)).map((id) => toRecord(byId.get(id)!, options));
  }

  async scroll(collection: string, request: ScrollRequest = {}): Promise<ScrollResult> {
    compileFilter(request.filter);
    const res = await this.call(
      `scroll '${collection}'`,
      () =>
        this.client.scroll(collection, {
          filter: request.filter ?? undefined,
          limit: request.limit ?? 10,
          offset:
            request.offset === null || request.offset === undefined
              ? undefined
              : normalisePointId(request.offset, 'offset'),
          with_payload: request.withPayload ?? true,
          with_vector: request.withVector ?? false,
        } as never),
      collection,
    );
    return {
      points: res.points.map((p) => toRecord(p, request)),
      nextPageOffset: (res.next_page_offset as PointId | null | undefined) ?? null,
    };
  }

  async count(collection: string, filter?: Filter | null): Promise<number> {
    compileFilter(filter);
    const res = await this.call(
      `count '${collection}'`,
      () => this.client.count(collection, { filter: filter ?? undefined, exact: true } as never),
      collection,
    );
    return res.count;
  }

  async search(collection: string, request: SearchRequest): Promise<ScoredPoint[]> {
    const body = await this.searchBody(collection, request);
    const res = await this.call(
      `search '${collection}'`,
      () => this.client.query(collection, body as never),
      collection,
    );
    return res.points.map((p) => toScored(p, request));
  }

  async searchBatch(collection: string, requests: SearchRequest[]): Promise<ScoredPoint[][]> {
    const searches = await Promise.all(requests.map((r) => this.searchBody(collection, r)));
    const res = await this.call(
      `search batch '${collection}'`,
      () => this.client.queryBatch(collection, { searches: searches as never }),
      collection,
    );
    return res.map((r, i) => r.points.map((p) => toScored(p, requests[i])));
  }

  async recommend(collection: string, request: RecommendRequest): Promise<ScoredPoint[]> {
    const body = await this.recommendBody(collection, request);
    const res = await this.call(
      `recommend '${collection}'`,
      () => this.client.query(collection, body as never),
      collection,
    );
    return res.points.map((p) => toScored(p, request));
  }

  async recommendBatch(collection: string, requests: RecommendRequest[]): Promise<ScoredPoint[][]> {
    const searches = await Promise.all(requests.map((r) => this.recommendBody(collection, r)));
    const res = await this.call(
      `recommend batch '${collection}'`,
      () => this.client.queryBatch(collection, { searches: searches as never }),
      collection,
    );
    return res.map((r, i) => r.points.map((p) => toScored(p, requests[i])));
  }

  async updateAliases(operations: AliasOperation[]): Promise<void> {
    const actions = operations.map((op) => {
      if ('createAlias' in op) {
        validateCollectionName(op.createAlias.alias, 'alias');
        return { create_alias: { alias_name: op.createAlias.alias, collection_name: op.createAlias.collection } };
      }
      if ('deleteAlias' in op) return { delete_alias: { alias_name: op.deleteAlias.alias } };
      if ('renameAlias' in op) {
        validateCollectionName(op.renameAlias.to, 'alias');
        return { rename_alias: { old_alias_name: op.renameAlias.from, new_alias_name: op.renameAlias.to } };
      }
      throw new InvalidInputError('unknown alias operation', { op });
    });
    await this.call('update aliases', () => this.client.updateCollectionAliases({ actions: actions as never }));
    this.params.clear();
  }

  async listAliases(): Promise<AliasDescription[]> {
    const r = await this.call('list aliases', () => this.client.getAliases());
    return r.aliases
      .map((a) => ({ alias: a.alias_name, collection: a.collection_name }))
      .sort((a, b) => a.alias.localeCompare(b.alias));
  }

  async ping(): Promise<VectorStoreHealth> {
    try {
      const v = await this.call('ping', () => this.client.versionInfo(), undefined, 1);
      return { ok: true, kind: 'qdrant', detail: { url: this.options.url, version: v.version } };
    } catch (e) {
      return { ok: false, kind: 'qdrant', detail: { url: this.options.url }, error: (e as Error).message };
    }
  }

  describe(): VectorStoreDescription {
    return {
      kind: 'qdrant',
      location: this.options.url,
      detail: {
        shards: this.options.shards ?? 1,
        replicationFactor: this.options.replicationFactor ?? 1,
        writeConsistency: this.options.writeConsistency ?? 1,
      },
    };
  }

  async close(): Promise<void> {
    this.params.clear();
  }

  // ---------------------------------------------------------------- mapping

  private async searchBody(collection: string, r: SearchRequest): Promise<Json> {
    const vectors = await this.vectorsOf(collection);
    const space = spaceOf(vectors, r.using, collection);
    const v = toFloat32Vector(r.vector, space.size, 'search vector');
    return { ...commonBody(r), query: Array.from(v) };
  }

  private async recommendBody(collection: string, r: RecommendRequest): Promise<Json> {
    const vectors = await this.vectorsOf(collection);
    const space = spaceOf(vectors, r.using, collection);
    const example = (list: RecommendRequest['positive'], what: string) =>
      (list ?? []).map((ex, i) =>
        typeof ex === 'number' || typeof ex === 'string'
          ? normalisePointId(ex, `${what}[${i}]`)
          : Array.from(toFloat32Vector(ex as Vector, space.size, `${what}[${i}]`)),
      );
    const positive = example(r.positive, 'positive');
    const negative = example(r.negative, 'negative');
    const strategy = r.strategy ?? 'average_vector';
    if (!['average_vector', 'best_score', 'sum_scores'].includes(strategy)) {
      throw new InvalidInputError(`unknown recommend strategy '${String(strategy)}'`, { strategy });
    }
    if (strategy === 'average_vector' && positive.length === 0) {
      throw new InvalidInputError('average_vector recommend needs at least one positive example', {});
    }
    if (positive.length + negative.length === 0)
      throw new InvalidInputError(`${strategy} recommend needs at least one example`, {});
    return { ...commonBody(r), query: { recommend: { positive, negative, strategy } } };
  }

  private async vectorsOf(collection: string): Promise<VectorParams | Record<string, VectorParams>> {
    const cached = this.params.get(collection);
    if (cached) return cached;
    return (await this.getCollection(collection)).vectors;
  }

  /**
   * Runs one client call, retrying transient failures (network errors, 429, 5xx) with doubling
   * delays, and translating the rest into typed errors. Nothing is swallowed.
   */
  private async call<T>(
    what: string,
    fn: () => Promise<T>,
    collection?: string,
    attempts = this.options.attempts ?? 4,
  ): Promise<T> {
    let delay = this.options.retryDelayMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const status = (e as { status?: number }).status;
        const message = qdrantMessage(e);
        const transient = status === undefined || status === 429 || status >= 500;
        if (!transient) {
          if (status === 404) {
            throw new NotFoundError(`${what}: ${message}`, { collection, status }, { cause: e });
          }
          if (status === 409) throw new ConflictError(`${what}: ${message}`, { collection, status }, { cause: e });
          if (/already exists/i.test(message))
            throw new ConflictError(`${what}: ${message}`, { collection, status }, { cause: e });
          if (/not found|doesn't exist|does not exist/i.test(message)) {
            throw new NotFoundError(`${what}: ${message}`, { collection, status }, { cause: e });
          }
          throw new InvalidInputError(`${what}: ${message}`, { collection, status }, { cause: e });
        }
        if (attempt >= attempts) {
          throw new UpstreamUnavailableError(
            `${what}: Qdrant at ${this.options.url} failed after ${attempt} attempts: ${message}`,
            {
              collection,
              status,
            },
            { cause: e },
          );
        }
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
    }
  }
}

function commonBody(r: SearchRequest | RecommendRequest): Json {
  const filter = compileFilter(r.filter) ? r.filter : undefined;
  const exclude = (r.exclude ?? []).map((id, i) => normalisePointId(id, `exclude[${i}]`));
  let merged: Filter | undefined = filter ?? undefined;
  // `exclude` is an argument of ours; on the wire it is a must_not has_id clause
  if (exclude.length > 0)
    merged = filter ? { must: [filter], must_not: [{ has_id: exclude }] } : { must_not: [{ has_id: exclude }] };
  const limit = r.limit ?? 10;
  const offset = r.offset ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new InvalidInputError('limit must be a positive integer', { limit });
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new InvalidInputError('offset must be a non-negative integer', { offset });
  const body: Json = {
    limit,
    offset,
    with_payload: r.withPayload ?? true,
    with_vector: r.withVector ?? false,
  };
  if (merged) body.filter = merged;
  if (r.using) body.using = r.using;
  if (r.scoreThreshold !== undefined && r.scoreThreshold !== null) body.score_threshold = r.scoreThreshold;
  return body;
}

function spaceOf(
  vectors: VectorParams | Record<string, VectorParams>,
  using: string | undefined,
  collection: string,
): VectorParams {
  if (CollectionState.isSingle(vectors)) {
    if (using)
      throw new InvalidInputError(`collection '${collection}' has no vector named '${using}'`, { collection, using });
    return vectors;
  }
  const s = using ? vectors[using] : undefined;
  if (!s) {
    throw new InvalidInputError(
      using
        ? `collection '${collection}' has no vector named '${using}'`
        : `collection '${collection}' has named vectors; pass using`,
      { collection, using },
    );
  }
  return s;
}

function toWirePoint(p: PointStruct, index: number, vectors: VectorParams | Record<string, VectorParams>): Json {
  if (!p || typeof p !== 'object') throw new InvalidInputError(`point at index ${index} is not an object`, { index });
  const id = normalisePointId(p.id, `point at index ${index}: id`);
  const where = `point ${String(id)} (index ${index})`;
  let vector: number[] | Record<string, number[]>;
  if (CollectionState.isSingle(vectors)) {
    vector = Array.from(toFloat32Vector(p.vector, vectors.size, where));
  } else {
    const given = p.vector as Record<string, Vector>;
    if (!given || typeof given !== 'object' || Array.isArray(given) || given instanceof Float32Array) {
      throw new InvalidInputError(
        `${where}: the collection has named vectors; pass { ${Object.keys(vectors).join(', ')} }`,
        { id },
      );
    }
    vector = {};
    for (const [name, params] of Object.entries(vectors)) {
      if (given[name] === undefined)
        throw new InvalidInputError(`${where}: named vector '${name}' is missing`, { id, vector: name });
      vector[name] = Array.from(toFloat32Vector(given[name], params.size, `${where} vector '${name}'`));
    }
    for (const name of Object.keys(given)) {
      if (!(name in vectors))
        throw new InvalidInputError(`${where}: unknown named vector '${name}'`, { id, vector: name });
    }
  }
  const payload = JSON.parse(serialisePayload(p.payload, where)) as Json;
  return { id, vector, payload };
}

function toRecord(p: { id: unknown; payload?: unknown; vector?: unknown }, options: ReadOptions): PointRecord {
  const rec: PointRecord = { id: p.id as PointId };
  if (options.withPayload ?? true) rec.payload = (p.payload as Json | null | undefined) ?? {};
  if (options.withVector && p.vector !== undefined && p.vector !== null) rec.vector = p.vector as PointRecord['vector'];
  return rec;
}

function toScored(
  p: { id: unknown; score: number; payload?: unknown; vector?: unknown },
  options: ReadOptions,
): ScoredPoint {
  return { ...toRecord(p, options), score: p.score };
}

function validateParams(params: CreateCollectionParams): VectorParams | Record<string, VectorParams> {
  const v = params?.vectors as unknown;
  if (!v || typeof v !== 'object') throw new InvalidInputError('collection needs vectors: { size, distance }', {});
  if (CollectionState.isSingle(v as VectorParams)) return validateVectorParams(v as VectorParams, 'vectors');
  const out: Record<string, VectorParams> = {};
  for (const [name, p] of Object.entries(v as Record<string, VectorParams>)) {
    validateCollectionName(name, 'vector');
    out[name] = validateVectorParams(p, `vectors.${name}`);
  }
  if (Object.keys(out).length === 0) throw new InvalidInputError('collection needs at least one named vector', {});
  return out;
}

function fromQdrantVectors(v: unknown): VectorParams | Record<string, VectorParams> {
  const pick = (p: { size: number; distance: string }): VectorParams => ({
    size: p.size,
    distance: p.distance as VectorParams['distance'],
  });
  if (v && typeof v === 'object' && typeof (v as { size?: unknown }).size === 'number') return pick(v as never);
  const out: Record<string, VectorParams> = {};
  for (const [name, p] of Object.entries((v ?? {}) as Record<string, { size: number; distance: string }>))
    out[name] = pick(p);
  return out;
}

function qdrantMessage(e: unknown): string {
  const data = (e as { data?: { status?: { error?: string } } }).data;
  if (data?.status?.error) return data.status.error;
  const cause = (e as { cause?: { message?: string; code?: string } }).cause;
  const base = e instanceof Error ? e.message : String(e);
  return cause?.code ? `${base} (${cause.code})` : base;
}
