import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { CorruptDataError, InvalidInputError } from '@tessera/common';
import type {
  AliasDescription,
  AliasOperation,
  CollectionInfo,
  CreateCollectionParams,
  PointId,
  PointRecord,
  PointStruct,
  PointsSelector,
  ReadOptions,
  RecommendRequest,
  ScoredPoint,
  ScrollRequest,
  ScrollResult,
  SearchRequest,
  SnapshotInfo,
  UpsertOptions,
  UpsertResult,
  VectorStoreDescription,
  VectorStoreHealth,
  Filter,
} from './vector-store.types';

const SNAPSHOT_FORMAT = 'tessera-vector-snapshot';

/**
 * The vector store port (also the Nest DI token). Two implementations pass one contract suite:
 * `EmbeddedVectorStore` (SQLite + HNSW on local disk) and `QdrantVectorStore`. Every method that
 * takes a collection name also accepts an alias. Errors are @tessera/common typed errors:
 * NotFoundError (unknown collection or point), InvalidInputError (bad ids, filters, payloads),
 * DimensionMismatchError (wrong vector size), ConflictError (collection exists),
 * UpstreamUnavailableError (Qdrant down after retries).
 */
export abstract class VectorStore {
  abstract createCollection(name: string, params: CreateCollectionParams): Promise<void>;
  /** True when it existed. */
  abstract deleteCollection(name: string): Promise<boolean>;
  abstract collectionExists(name: string): Promise<boolean>;
  abstract listCollections(): Promise<string[]>;
  abstract getCollection(name: string): Promise<CollectionInfo>;

  /** Insert or replace points, `batchSize` per write; resolves once every written point is durable. */
  abstract upsert(collection: string, points: PointStruct[], options?: UpsertOptions): Promise<UpsertResult>;
  /** Delete by ids or by filter; resolves once durable. */
  abstract delete(collection: string, selector: PointsSelector): Promise<void>;
  /** Points by id, in the order asked; unknown ids are left out. */
  abstract get(collection: string, ids: PointId[], options?: ReadOptions): Promise<PointRecord[]>;
  /** Pages through points in id order; pass `nextPageOffset` back as `offset`. */
  abstract scroll(collection: string, request?: ScrollRequest): Promise<ScrollResult>;
  abstract count(collection: string, filter?: Filter | null): Promise<number>;

  abstract search(collection: string, request: SearchRequest): Promise<ScoredPoint[]>;
  abstract searchBatch(collection: string, requests: SearchRequest[]): Promise<ScoredPoint[][]>;
  /** Example points given by id are never returned themselves (as in Qdrant). */
  abstract recommend(collection: string, request: RecommendRequest): Promise<ScoredPoint[]>;
  abstract recommendBatch(collection: string, requests: RecommendRequest[]): Promise<ScoredPoint[][]>;

  /** Applies all operations atomically: readers see the old or the new mapping, never a mix. */
  abstract updateAliases(operations: AliasOperation[]): Promise<void>;
  abstract listAliases(): Promise<AliasDescription[]>;

  abstract ping(): Promise<VectorStoreHealth>;
  abstract describe(): VectorStoreDescription;
  abstract close(): Promise<void>;

  /** Points `alias` at `collection` in one atomic step (creating the alias if needed). */
  async swapAlias(alias: string, collection: string): Promise<void> {
    const existing = (await this.listAliases()).some((a) => a.alias === alias);
    const ops: AliasOperation[] = existing ? [{ deleteAlias: { alias } }] : [];
    ops.push({ createAlias: { alias, collection } });
    await this.updateAliases(ops);
  }

  /**
   * Writes a portable snapshot (one JSON line per point, collection parameters first) that either
   * implementation can import, so it doubles as the migration format between them.
   */
  async exportSnapshot(collection: string, path: string, pageSize = 512): Promise<SnapshotInfo> {
    const info = await this.getCollection(collection);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.partial`;
    const out = createWriteStream(tmp);
    const write = async (line: string): Promise<void> => {
      if (!out.write(line + '\n')) await once(out, 'drain');
    };
    let points = 0;
    try {
      await write(
        JSON.stringify({ format: SNAPSHOT_FORMAT, version: 1, collection: info.name, vectors: info.vectors }),
      );
      let offset: PointId | null = null;
      do {
        const page: ScrollResult = await this.scroll(collection, {
          limit: pageSize,
          offset,
          withPayload: true,
          withVector: true,
        });
        for (const p of page.points) {
          await write(JSON.stringify({ id: p.id, vector: p.vector, payload: p.payload ?? {} }));
          points++;
        }
        offset = page.nextPageOffset;
      } while (offset !== null);
      out.end();
      await once(out, 'finish');
      await rename(tmp, path);
    } catch (e) {
      out.destroy();
      await rm(tmp, { force: true });
      throw e;
    }
    return { collection: info.name, points, path };
  }

  /** Creates `collection` (default: the name in the snapshot) and fills it from a snapshot file. */
  async importSnapshot(path: string, options: { collection?: string; batchSize?: number } = {}): Promise<SnapshotInfo> {
    const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
    let name: string | undefined;
    let batch: PointStruct[] = [];
    let points = 0;
    let lineNo = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0 || !name) return;
      await this.upsert(name, batch, { batchSize: options.batchSize });
      points += batch.length;
      batch = [];
    };
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line) as Record<string, unknown>;
      } catch (e) {
        throw new CorruptDataError(`snapshot ${path} line ${lineNo} is not JSON`, { path, line: lineNo }, { cause: e });
      }
      if (name === undefined) {
        if (row.format !== SNAPSHOT_FORMAT || row.version !== 1) {
          throw new InvalidInputError(`${path} is not a version 1 ${SNAPSHOT_FORMAT} file`, { path });
        }
        name = options.collection ?? String(row.collection);
        await this.createCollection(name, { vectors: row.vectors as CreateCollectionParams['vectors'] });
        continue;
      }
      batch.push(row as unknown as PointStruct);
      if (batch.length >= (options.batchSize ?? 512)) await flush();
    }
    if (name === undefined) throw new CorruptDataError(`snapshot ${path} is empty`, { path });
    await flush();
    return { collection: name, points, path };
  }
}
