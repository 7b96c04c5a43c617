import { evaluateRankings, topKIndices, type MetricTable } from '@tessera/eval';
import type { ItemTokens } from '../encoder';
import type { ColdStartModel } from './cold-start-model';

/** A ranking task: rank `candidates` for each user of `relevant`; `relevant` are their positives. */
export interface RankingTask {
  candidates: readonly number[];
  relevant: ReadonlyMap<number, ReadonlySet<number>>;
  /** Per-user items to leave out of the ranking (training items in warm/all settings). */
  exclude?: ReadonlyMap<number, ReadonlySet<number>>;
}

/**
 * Encodes the candidates from content, scores every task user and returns macro-averaged
 * Recall/NDCG@ks (Tessera's min(K, |Rel|) recall). Items without tokens encode as empty content.
 */
export async function evaluateRankingTask(
  model: ColdStartModel,
  task: RankingTask,
  tokensOf: (itemId: number) => ItemTokens | undefined,
  ks: readonly number[],
  users?: readonly number[],
): Promise<MetricTable & { users: number }> {
  const candidates = [...task.candidates];
  const tokens = candidates.map((id) => tokensOf(id) ?? { modalities: {} });
  const z = await model.encodeItems(tokens);
  const lexical = await model.lexicalVectors(tokens);
  const userList = users ?? [...task.relevant.keys()];
  const kMax = Math.max(...ks);
  const rankings: { ranked: number[]; relevant: ReadonlySet<number> }[] = [];
  const chunk = 256;
  for (let s = 0; s < userList.length; s += chunk) {
    const part = userList.slice(s, s + chunk);
    const scores = await model.scoreUsers(part, z, lexical);
    part.forEach((u, r) => {
      const row = scores.subarray(r * candidates.length, (r + 1) * candidates.length);
      const ex = task.exclude?.get(u);
      const top = topKIndices(row, kMax, ex ? (i) => ex.has(candidates[i]) : undefined);
      rankings.push({ ranked: top.map((i) => candidates[i]), relevant: task.relevant.get(u) ?? new Set() });
    });
  }
  return evaluateRankings(rankings, { ks });
}
