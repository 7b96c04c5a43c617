import { Rng } from '@tessera/common';
import { EmbeddedVectorStore } from '@tessera/vector-store';

export interface ClipSearchBenchResult {
  clips: number;
  dim: number;
  queries: number;
  storeMedianMs: number;
  storeP90Ms: number;
  bruteForceMedianMs: number;
  speedupVsBruteForce: number;
}

function unit(rng: Rng, d: number): Float32Array {
  const v = Float32Array.from({ length: d }, () => rng.normal());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Video-text search latency at 10k clips in the joint space (VT-TWINS' 32-d cosine embeddings):
 * the embedded vector store's search against a plain JS scan of every clip, same queries, same run.
 */
export async function runClipSearchBench(
  opts: { clips?: number; dim?: number; queries?: number } = {},
): Promise<ClipSearchBenchResult> {
  const clips = opts.clips ?? 10_000;
  const dim = opts.dim ?? 32;
  const queries = opts.queries ?? 300;
  const rng = new Rng(11);
  const vectors = Array.from({ length: clips }, () => unit(rng, dim));
  const store = new EmbeddedVectorStore();
  await store.createCollection('clips', { vectors: { size: dim, distance: 'Cosine' } });
  for (let i = 0; i < clips; i += 1000)
    await store.upsert(
      'clips',
      vectors.slice(i, i + 1000).map((v, j) => ({ id: i + j, vector: v, payload: { itemId: `v${(i + j) % 500}` } })),
    );
  const qs = Array.from({ length: queries }, () => unit(rng, dim));
  for (const q of qs.slice(0, 20)) await store.search('clips', { vector: q, limit: 10 });
  const storeMs: number[] = [];
  for (const q of qs) {
    const t0 = performance.now();
    await store.search('clips', { vector: q, limit: 10 });
    storeMs.push(performance.now() - t0);
  }
  const bruteMs: number[] = [];
  for (const q of qs) {
    const t0 = performance.now();
    const scores = vectors.map((v, i) => {
      let s = 0;
      for (let k = 0; k < dim; k++) s += v[k] * q[k];
      return { i, s };
    });
    scores.sort((a, b) => b.s - a.s).slice(0, 10);
    bruteMs.push(performance.now() - t0);
  }
  await store.close();
  storeMs.sort((a, b) => a - b);
  bruteMs.sort((a, b) => a - b);
  const storeMedianMs = quantile(storeMs, 0.5);
  const bruteForceMedianMs = quantile(bruteMs, 0.5);
  return {
    clips,
    dim,
    queries,
    storeMedianMs: Math.round(storeMedianMs * 1000) / 1000,
    storeP90Ms: Math.round(quantile(storeMs, 0.9) * 1000) / 1000,
    bruteForceMedianMs: Math.round(bruteForceMedianMs * 1000) / 1000,
    speedupVsBruteForce: Math.round((bruteForceMedianMs / storeMedianMs) * 10) / 10,
  };
}
