import { Rng } from '@tessera/common';
import {
  type ColdStartRecommender,
  DEFAULT_TFIDF_CONFIG,
  type ItemContentMap,
  TfIdfVectorizer,
  type TrainingSet,
} from '@tessera/models/coldstart';

/** Cyclic Jacobi eigen-decomposition of a small symmetric matrix (row-major n×n): values and column vectors. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-20) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-30) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v };
}

/**
 * Diagnostic only (not a baseline of the protocol): the TF-IDF profile recommender with every item vector
 * replaced by its best rank-`rank` approximation (randomised SVD), i.e. TF-IDF squeezed through the same
 * d-dimensional dot product the encoder scores with.
 */
export class LowRankTfIdfRecommender implements ColdStartRecommender {
  readonly name: string;
  private emb = new Map<number, Float64Array>();
  private readonly profileItems = new Map<number, number[]>();

  constructor(
    private readonly rank: number,
    private readonly seed = 1,
  ) {
    this.name = `content-tfidf-rank${rank}`;
  }

  fit(train: TrainingSet, contents: ItemContentMap): void {
    const vec = new TfIdfVectorizer(DEFAULT_TFIDF_CONFIG).fit(train.allItems, contents);
    const items = train.allItems;
    const n = items.length;
    const T = vec.size;
    const l = this.rank + 16;
    const rng = new Rng(this.seed);
    const rows = items.map((id) => vec.vector(id));
    const xTimes = (w: Float64Array): Float64Array => {
      const y = new Float64Array(n * l);
      rows.forEach((r, i) => {
        for (let k = 0; k < r.indices.length; k++) {
          const t = r.indices[k];
          const x = r.values[k];
          for (let c = 0; c < l; c++) y[i * l + c] += x * w[t * l + c];
        }
      });
      return y;
    };
    const xtTimes = (y: Float64Array): Float64Array => {
      const z = new Float64Array(T * l);
      rows.forEach((r, i) => {
        for (let k = 0; k < r.indices.length; k++) {
          const t = r.indices[k];
          const x = r.values[k];
          for (let c = 0; c < l; c++) z[t * l + c] += x * y[i * l + c];
        }
      });
      return z;
    };
    const orthonormalise = (y: Float64Array): void => {
      for (let c = 0; c < l; c++) {
        for (let p = 0; p < c; p++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += y[i * l + c] * y[i * l + p];
          for (let i = 0; i < n; i++) y[i * l + c] -= dot * y[i * l + p];
        }
        let norm = 0;
        for (let i = 0; i < n; i++) norm += y[i * l + c] ** 2;
        norm = Math.sqrt(norm) || 1;
        for (let i = 0; i < n; i++) y[i * l + c] /= norm;
      }
    };
    let q = xTimes(Float64Array.from({ length: T * l }, () => rng.normal()));
    orthonormalise(q);
    for (let it = 0; it < 3; it++) {
      q = xTimes(xtTimes(q));
      orthonormalise(q);
    }
    // B = Qᵀ X (l × T, stored T × l); C = B Bᵀ (l × l).
    const b = xtTimes(q);
    const cMat = new Float64Array(l * l);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < l; i++) for (let j = 0; j < l; j++) cMat[i * l + j] += b[t * l + i] * b[t * l + j];
    const { values, vectors } = symmetricEigen(cMat, l);
    const top = [...values.keys()].sort((x, y) => values[y] - values[x]).slice(0, this.rank);
    this.emb = new Map();
    items.forEach((id, i) => {
      const e = new Float64Array(this.rank);
      top.forEach((col, k) => {
        let s = 0;
        for (let c = 0; c < l; c++) s += q[i * l + c] * vectors[c * l + col];
        e[k] = s * Math.sqrt(Math.max(values[col], 0));
      });
      this.emb.set(id, e);
    });
    this.profileItems.clear();
    for (const x of train.positives) {
      const list = this.profileItems.get(x.userId) ?? [];
      list.push(x.itemId);
      this.profileItems.set(x.userId, list);
    }
  }

  scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Float32Array {
    const nc = candidateItemIds.length;
    const out = new Float32Array(userIds.length * nc);
    const cand = candidateItemIds.map((id) => this.emb.get(id) ?? new Float64Array(this.rank));
    userIds.forEach((u, r) => {
      const items = this.profileItems.get(u) ?? [];
      if (items.length === 0) return;
      const p = new Float64Array(this.rank);
      for (const id of items) {
        const e = this.emb.get(id);
        if (e) for (let k = 0; k < this.rank; k++) p[k] += e[k] / items.length;
      }
      cand.forEach((e, c) => {
        let s = 0;
        for (let k = 0; k < this.rank; k++) s += p[k] * e[k];
        out[r * nc + c] = s;
      });
    });
    return out;
  }
}
