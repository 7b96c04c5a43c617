/**
 * The vocabulary of the vector store, taken from Qdrant so that the Qdrant adapter is a thin
 * mapping: a collection has one vector size and distance (or several named vectors); a point is
 * an id, a vector and a JSON payload; filters are must/should/must_not over match, range, has_id.
 * Filter objects keep Qdrant's JSON spelling (`must_not`, `has_id`) because they are data that
 * travels 1:1 to Qdrant; call options are camelCase.
 */

export type Distance = 'Cosine' | 'Dot' | 'Euclid';
export const DISTANCES: readonly Distance[] = ['Cosine', 'Dot', 'Euclid'];

/** Qdrant point ids: an unsigned integer or a UUID string. */
export type PointId = number | string;

export type Payload = Record<string, unknown>;

export type Vector = number[] | Float32Array;

/** One unnamed vector, or one vector per name for collections with named vectors. */
export type PointVectors = Vector | Record<string, Vector>;

export interface VectorParams {
  size: number;
  distance: Distance;
}

export interface CreateCollectionParams {
  /** One unnamed vector space, or named spaces (`{ image: {...}, text: {...} }`). */
  vectors: VectorParams | Record<string, VectorParams>;
}

export interface CollectionInfo {
  name: string;
  vectors: VectorParams | Record<string, VectorParams>;
  pointsCount: number;
  /** Extra facts from the implementation (index kind, shards). */
  detail?: Record<string, unknown>;
}

export interface PointStruct {
  id: PointId;
  vector: PointVectors;
  payload?: Payload | null;
}

/** A stored point as read back. For Cosine collections the vector comes back normalised, as in Qdrant. */
export interface PointRecord {
  id: PointId;
  payload?: Payload | null;
  vector?: number[] | Record<string, number[]>;
}

export interface ScoredPoint extends PointRecord {
  score: number;
}

export type MatchValueType = string | number | boolean;

export interface Match {
  value?: MatchValueType;
  any?: MatchValueType[];
  except?: MatchValueType[];
}

export interface Range {
  gt?: number | null;
  gte?: number | null;
  lt?: number | null;
  lte?: number | null;
}

export interface FieldCondition {
  key: string;
  match?: Match;
  range?: Range;
  /** Qdrant's alternative spellings of is_empty / is_null on a field condition. */
  is_empty?: boolean;
  is_null?: boolean;
}

export interface HasIdCondition {
  has_id: PointId[];
}

export interface IsEmptyCondition {
  is_empty: { key: string };
}

export interface IsNullCondition {
  is_null: { key: string };
}

export type Condition = FieldCondition | HasIdCondition | IsEmptyCondition | IsNullCondition | Filter;

export interface Filter {
  must?: Condition | Condition[] | null;
  should?: Condition | Condition[] | null;
  must_not?: Condition | Condition[] | null;
}

export interface ReadOptions {
  /** Default true. */
  withPayload?: boolean;
  /** Default false. */
  withVector?: boolean;
}

export interface SearchRequest extends ReadOptions {
  vector: Vector;
  /** Named vector to search in; omitted for the unnamed one. */
  using?: string;
  /** Default 10. */
  limit?: number;
  offset?: number;
  filter?: Filter | null;
  /** Cosine/Dot: keep score >= threshold; Euclid: keep distance <= threshold. */
  scoreThreshold?: number;
  /** Ids never returned, whatever the filter says. */
  exclude?: PointId[];
}

export type RecommendStrategy = 'average_vector' | 'best_score' | 'sum_scores';

/** A recommend example: a stored point's id or a raw vector. */
export type RecommendExample = PointId | Vector;

export interface RecommendRequest extends Omit<SearchRequest, 'vector'> {
  positive?: RecommendExample[];
  negative?: RecommendExample[];
  /** Default `average_vector`, as in Qdrant. */
  strategy?: RecommendStrategy;
}

export interface ScrollRequest extends ReadOptions {
  filter?: Filter | null;
  /** Default 10. */
  limit?: number;
  /** Page token: the id to start from (a previous `nextPageOffset`). */
  offset?: PointId | null;
}

export interface ScrollResult {
  points: PointRecord[];
  /** Pass as `offset` for the next page; null at the end. */
  nextPageOffset: PointId | null;
}

export type PointsSelector = { ids: PointId[] } | { filter: Filter };

export interface UpsertOptions {
  /** Points per write batch (one transaction / one request each). Default 256. */
  batchSize?: number;
  /**
   * `reject` (default): any bad point rejects the whole call, nothing is written, and the error lists
   * every bad point. `skip`: bad points are reported in `rejected`, the rest are written.
   */
  onInvalid?: 'reject' | 'skip';
}

export interface RejectedPoint {
  index: number;
  id: unknown;
  error: Error;
}

export interface UpsertResult {
  upserted: number;
  rejected: RejectedPoint[];
}

export type AliasOperation =
  | { createAlias: { alias: string; collection: string } }
  | { deleteAlias: { alias: string } }
  | { renameAlias: { from: string; to: string } };

export interface AliasDescription {
  alias: string;
  collection: string;
}

export interface SnapshotInfo {
  collection: string;
  points: number;
  path: string;
}

/** Same shape as `ComponentHealth` in @tessera/common, for /health/ready and `tessera doctor`. */
export interface VectorStoreHealth {
  ok: boolean;
  kind: 'embedded' | 'qdrant';
  detail?: Record<string, unknown>;
  error?: string;
}

export interface VectorStoreDescription {
  kind: 'embedded' | 'qdrant';
  location: string;
  detail: Record<string, unknown>;
}
