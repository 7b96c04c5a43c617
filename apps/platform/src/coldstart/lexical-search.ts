import type { SparseVector } from '@tessera/models/coldstart';
import { type FieldCondition, type ScoredPoint, type SearchRequest, VectorStore } from '@tessera/vector-store';

/**
 * Payload keys of a point's lexical vector (models with the lexical channel): its keys, and the values in the same
 * order. Keys are also what the candidate filter matches on, so they stay a plain array of integers.
 */
export const LEXICAL_KEYS = 'lexKeys';
export const LEXICAL_VALUES = 'lexValues';

export function lexicalPayload(v: SparseVector): Record<string, number[]> {
  return { [LEXICAL_KEYS]: Array.from(v.indices), [LEXICAL_VALUES]: Array.from(v.values) };
}

/** A point's lexical vector from its payload, or undefined when it carries none. */
export function lexicalFromPayload(payload: Record<string, unknown> | null | undefined): SparseVector | undefined {
  const keys = payload?.[LEXICAL_KEYS];
  const values = payload?.[LEXICAL_VALUES];
  if (!Array.isArray(keys) || !Array.isArray(values) || keys.length !== values.length) return undefined;
  return { indices: Int32Array.from(keys as number[]), values: Float32Array.from(values as number[]) };
}

/** A profile as key → weight, built once per query. */
export function profileWeights(profile: SparseVector): Map<number, number> {
  return new Map(Array.from(profile.indices, (k, j) => [k, profile.values[j]]));
}

/** <profile, v_i> with v_i read from a point's payload (0 when the point carries no lexical vector). */
export function lexicalDot(
  profile: ReadonlyMap<number, number>,
  payload: Record<string, unknown> | null | undefined,
): number {
  const keys = payload?.[LEXICAL_KEYS];
  const values = payload?.[LEXICAL_VALUES];
  if (!Array.isArray(keys) || !Array.isArray(values)) return 0;
  let s = 0;
  for (let j = 0; j < keys.length; j++) s += (profile.get(keys[j] as number) ?? 0) * (values[j] as number);
  return s;
}

export interface LexicalQuery {
  profile: SparseVector;
  /** γ, the model's weight of the lexical score. */
  gamma: number;
}

/** Candidates fetched per channel: enough that re-ranking the union rarely misses a top hit. */
const WINDOW_MIN = 256;
/** The user's strongest profile keys the lexical candidate filter asks for. */
const FILTER_KEYS = 64;

/**
 * The model's full score, <z_u, z_i> + γ·<p_u, v_i>, served from any vector store: one search by the dense
 * vector, one by the dense vector among points that share one of the user's strongest lexical keys (a payload
 * filter, so Qdrant and the embedded index answer it alike), then the union is re-scored exactly and paged.
 * Points outside both windows are not seen; the window grows with the page asked for.
 */
export async function hybridSearch(
  vectors: VectorStore,
  collection: string,
  request: SearchRequest,
  lexical: LexicalQuery,
): Promise<ScoredPoint[]> {
  const limit = request.limit ?? 10;
  const offset = request.offset ?? 0;
  const window = Math.max(WINDOW_MIN, 4 * (limit + offset));
  const base: SearchRequest = { ...request, limit: window, offset: 0, scoreThreshold: undefined, withPayload: true };
  const strongest = [...lexical.profile.indices.keys()]
    .sort((a, b) => lexical.profile.values[b] - lexical.profile.values[a])
    .slice(0, FILTER_KEYS)
    .map((j) => lexical.profile.indices[j]);
  const shared: FieldCondition = { key: LEXICAL_KEYS, match: { any: strongest } };
  const [dense, matching] = await vectors.searchBatch(collection, [
    base,
    { ...base, filter: request.filter ? { must: [request.filter, shared] } : { must: [shared] } },
  ]);
  const weights = profileWeights(lexical.profile);
  const byId = new Map<string, ScoredPoint>();
  for (const p of [...dense, ...matching]) {
    if (byId.has(String(p.id))) continue;
    const payload = p.payload as Record<string, unknown> | null | undefined;
    byId.set(String(p.id), { ...p, score: p.score + lexical.gamma * lexicalDot(weights, payload) });
  }
  const threshold = request.scoreThreshold;
  return [...byId.values()]
    .filter((p) => threshold === undefined || p.score >= threshold)
    .sort((a, b) => b.score - a.score)
    .slice(offset, offset + limit)
    .map((p) => (request.withPayload ? p : { ...p, payload: undefined }));
}
