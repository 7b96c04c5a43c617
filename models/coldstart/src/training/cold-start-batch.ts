import type { Rng } from '@tessera/common';
import type { Interaction } from '../data';
import type { RankingBatch } from '../losses';

/** What every batch is built from: the training interactions indexed by user. */
export interface InteractionIndex {
  /** N(u) with ratings (NaN where the dataset is implicit), training interactions only. */
  byUser: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** Items that may be sampled as extra batch items (the warm items). */
  sampleable: readonly number[];
}

export function indexInteractions(interactions: readonly Interaction[]): InteractionIndex {
  const byUser = new Map<number, Map<number, number>>();
  const items = new Set<number>();
  for (const x of interactions) {
    let m = byUser.get(x.userId);
    if (!m) byUser.set(x.userId, (m = new Map()));
    m.set(x.itemId, x.rating ?? Number.NaN);
    items.add(x.itemId);
  }
  return { byUser, sampleable: [...items].sort((a, b) => a - b) };
}

/** A batch ready for the model: ids to look up plus the loss's index arrays (without scores). */
export interface PreparedBatch extends Omit<RankingBatch, 'scores'> {
  userIds: number[];
  /** Rows of userIds in the model's user table. */
  userRows: Int32Array;
  /** The batch item set B: the examples' distinct items first, then the sampled ones. */
  itemIds: number[];
  /** History tower only: distinct history items, and (user column, history item) pairs. */
  history?: { itemIds: number[]; pairUser: Int32Array; pairItem: Int32Array };
}

/** Sampling of the users' histories for the history tower: their training positives, `size` per user. */
export interface HistorySampling {
  of: ReadonlyMap<number, readonly number[]>;
  size: number;
}

/**
 * Builds B = the examples' distinct items ∪ up to min(negativesPerUser·|users|, maxSampled) items
 * sampled uniformly from the warm items (whether a sampled item is "non-interacted" is per user, so the
 * loss drops it from that user's denominator through `interacted`). Examples whose user has no row
 * are skipped.
 */
export function buildBatch(
  examples: readonly Interaction[],
  index: InteractionIndex,
  rowOf: (userId: number) => number | undefined,
  rng: Rng,
  opts: { negativesPerUser: number; maxSampledItems: number },
  history?: HistorySampling,
): PreparedBatch | null {
  const userCol = new Map<number, number>();
  const itemCol = new Map<number, number>();
  const userIds: number[] = [];
  const userRows: number[] = [];
  const itemIds: number[] = [];
  const posUser: number[] = [];
  const posItem: number[] = [];
  const posRating: number[] = [];
  for (const x of examples) {
    const row = rowOf(x.userId);
    if (row === undefined) continue;
    let u = userCol.get(x.userId);
    if (u === undefined) {
      u = userIds.length;
      userCol.set(x.userId, u);
      userIds.push(x.userId);
      userRows.push(row);
    }
    let i = itemCol.get(x.itemId);
    if (i === undefined) {
      i = itemIds.length;
      itemCol.set(x.itemId, i);
      itemIds.push(x.itemId);
    }
    posUser.push(u);
    posItem.push(i);
    posRating.push(x.rating ?? Number.NaN);
  }
  if (posUser.length === 0) return null;
  const want = Math.min(
    opts.negativesPerUser * userIds.length,
    opts.maxSampledItems,
    Math.max(0, index.sampleable.length - itemIds.length),
  );
  // Bounded tries so a tiny catalogue cannot loop forever.
  const base = itemIds.length;
  for (let tries = 0; tries < want * 4 && itemIds.length - base < want; tries++) {
    const id = index.sampleable[rng.int(index.sampleable.length)];
    if (itemCol.has(id)) continue;
    itemCol.set(id, itemIds.length);
    itemIds.push(id);
  }
  const nU = userIds.length;
  const nI = itemIds.length;
  const interacted = new Uint8Array(nU * nI);
  const ratings = new Float32Array(nU * nI).fill(Number.NaN);
  userIds.forEach((user, u) => {
    const seen = index.byUser.get(user);
    if (!seen) return;
    itemIds.forEach((item, i) => {
      const r = seen.get(item);
      if (r === undefined) return;
      interacted[u * nI + i] = 1;
      ratings[u * nI + i] = r;
    });
  });
  // Examples are interactions even if the index was built from another list.
  posUser.forEach((u, k) => {
    interacted[u * nI + posItem[k]] = 1;
    if (Number.isNaN(ratings[u * nI + posItem[k]])) ratings[u * nI + posItem[k]] = posRating[k];
  });
  return {
    userIds,
    userRows: Int32Array.from(userRows),
    itemIds,
    ...(history ? { history: sampleHistories(userIds, posUser, posItem, itemIds, history, rng) } : {}),
    posUser: Int32Array.from(posUser),
    posItem: Int32Array.from(posItem),
    posRating: Float32Array.from(posRating),
    interacted,
    ratings,
  };
}

/**
 * Up to `size` of each batch user's positives, drawn without replacement, never one of the items this batch
 * asks the user to rank as a positive (the tower would learn "score what I hold", which cold items never are).
 */
function sampleHistories(
  userIds: readonly number[],
  posUser: readonly number[],
  posItem: readonly number[],
  itemIds: readonly number[],
  h: HistorySampling,
  rng: Rng,
): NonNullable<PreparedBatch['history']> {
  const inBatch = userIds.map(() => new Set<number>());
  posUser.forEach((u, k) => inBatch[u].add(itemIds[posItem[k]]));
  const col = new Map<number, number>();
  const distinct: number[] = [];
  const pairUser: number[] = [];
  const pairItem: number[] = [];
  userIds.forEach((user, u) => {
    const pool = (h.of.get(user) ?? []).filter((id) => !inBatch[u].has(id));
    const picked = pool.length <= h.size ? pool : rng.shuffle([...pool]).slice(0, h.size);
    for (const id of picked) {
      let c = col.get(id);
      if (c === undefined) {
        c = distinct.length;
        col.set(id, c);
        distinct.push(id);
      }
      pairUser.push(u);
      pairItem.push(c);
    }
  });
  return { itemIds: distinct, pairUser: Int32Array.from(pairUser), pairItem: Int32Array.from(pairItem) };
}
