import { Rng } from '@tessera/common';
import type { Interaction } from '../data';

export interface BprConfig {
  dim: number;
  epochs: number;
  learningRate: number;
  /** L2 on factors and item bias. */
  reg: number;
  /** Initial factor scale (normal × initScale). */
  initScale: number;
}

export const DEFAULT_BPR_CONFIG: BprConfig = { dim: 32, epochs: 30, learningRate: 0.05, reg: 0.005, initScale: 0.1 };

/** Learned factors, keyed by dataset ids through index maps. */
export interface BprModel {
  dim: number;
  userIndex: Map<number, number>;
  itemIndex: Map<number, number>;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  itemBias: Float32Array;
  /** Items whose factors were trained (the others keep their random init). */
  trainedItems: Set<number>;
}

/**
 * Bayesian personalised ranking with SGD over (user, positive, sampled
 * negative) triples. `items` lists every item that gets a factor; only those in
 * `positives` (and sampled negatives from `negativePool`) are ever updated, so an
 * item the training never saw keeps a random vector: it scores at chance.
 */
export function trainBpr(
  positives: readonly Interaction[],
  items: readonly number[],
  negativePool: readonly number[],
  config: BprConfig,
  seed: number,
): BprModel {
  const rng = new Rng(seed);
  const d = config.dim;
  const userIndex = new Map<number, number>();
  for (const x of positives) if (!userIndex.has(x.userId)) userIndex.set(x.userId, userIndex.size);
  const itemIndex = new Map<number, number>();
  for (const i of items) if (!itemIndex.has(i)) itemIndex.set(i, itemIndex.size);
  const P = new Float32Array(userIndex.size * d);
  const Q = new Float32Array(itemIndex.size * d);
  const B = new Float32Array(itemIndex.size);
  for (let k = 0; k < P.length; k++) P[k] = rng.normal() * config.initScale;
  for (let k = 0; k < Q.length; k++) Q[k] = rng.normal() * config.initScale;

  const pairsU = new Int32Array(positives.length);
  const pairsI = new Int32Array(positives.length);
  const seen = new Map<number, Set<number>>();
  positives.forEach((x, n) => {
    pairsU[n] = userIndex.get(x.userId)!;
    pairsI[n] = itemIndex.get(x.itemId)!;
    let s = seen.get(pairsU[n]);
    if (!s) seen.set(pairsU[n], (s = new Set()));
    s.add(pairsI[n]);
  });
  const pool = Int32Array.from(negativePool.map((i) => itemIndex.get(i)!).filter((i) => i !== undefined));
  const order = Array.from({ length: positives.length }, (_, n) => n);
  const { learningRate: lr, reg } = config;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    rng.shuffle(order);
    for (const n of order) {
      const u = pairsU[n];
      const i = pairsI[n];
      const userSeen = seen.get(u)!;
      let j = pool[rng.int(pool.length)];
      for (let tries = 0; tries < 10 && userSeen.has(j); tries++) j = pool[rng.int(pool.length)];
      if (userSeen.has(j)) continue;
      const pu = u * d;
      const qi = i * d;
      const qj = j * d;
      let x = B[i] - B[j];
      for (let k = 0; k < d; k++) x += P[pu + k] * (Q[qi + k] - Q[qj + k]);
      // d/dx of log σ(x) = σ(−x)
      const g = 1 / (1 + Math.exp(x));
      for (let k = 0; k < d; k++) {
        const p = P[pu + k];
        const a = Q[qi + k];
        const b = Q[qj + k];
        P[pu + k] += lr * (g * (a - b) - reg * p);
        Q[qi + k] += lr * (g * p - reg * a);
        Q[qj + k] += lr * (-g * p - reg * b);
      }
      B[i] += lr * (g - reg * B[i]);
      B[j] += lr * (-g - reg * B[j]);
    }
  }
  const trainedItems = new Set<number>();
  for (const x of positives) trainedItems.add(x.itemId);
  for (const i of negativePool) trainedItems.add(i);
  return { dim: d, userIndex, itemIndex, userFactors: P, itemFactors: Q, itemBias: B, trainedItems };
}

/** Scores users × candidates from factor tables; unknown users score 0 plus bias, unknown items 0. */
export function scoreWithFactors(
  userFactor: (userId: number) => Float32Array | undefined,
  itemFactor: (itemId: number) => { q: Float32Array; b: number } | undefined,
  dim: number,
  userIds: readonly number[],
  candidates: readonly number[],
): Float32Array {
  const out = new Float32Array(userIds.length * candidates.length);
  const items = candidates.map((c) => itemFactor(c));
  for (let r = 0; r < userIds.length; r++) {
    const p = userFactor(userIds[r]);
    const row = r * candidates.length;
    for (let c = 0; c < candidates.length; c++) {
      const it = items[c];
      if (!it) continue;
      let s = it.b;
      if (p) for (let k = 0; k < dim; k++) s += p[k] * it.q[k];
      out[row + c] = s;
    }
  }
  return out;
}
