import { InvalidInputError, Rng } from '@tessera/common';
import type { ItemContentMap } from '../data';
import type { ColdStartRecommender, TrainingSet } from './cold-start-recommender';
import { BprConfig, BprModel, DEFAULT_BPR_CONFIG, scoreWithFactors, trainBpr } from './bpr-mf';
import { ridgeRegression } from './ridge-regression';
import { sparseRidgeRegression } from './sparse-ridge';
import { DEFAULT_TFIDF_CONFIG, TfIdfConfig, TfIdfVectorizer } from './tfidf-vectorizer';

export interface Cb2cfConfig {
  bpr: BprConfig;
  tfidf: TfIdfConfig;
  /**
   * `projected`: seeded Gaussian projection of TF-IDF to `projectionDim`, then
   * closed-form ridge. `sparse`: ridge on the full TF-IDF vocabulary by
   * conjugate gradient (no information lost to the projection).
   */
  regressor: 'projected' | 'sparse';
  /** Width of the seeded Gaussian random projection of the TF-IDF vectors. */
  projectionDim: number;
  ridgeLambda: number;
}

export const DEFAULT_CB2CF_CONFIG: Cb2cfConfig = {
  bpr: DEFAULT_BPR_CONFIG,
  tfidf: DEFAULT_TFIDF_CONFIG,
  regressor: 'projected',
  projectionDim: 256,
  ridgeLambda: 1,
};

export const SPARSE_CB2CF_CONFIG: Cb2cfConfig = { ...DEFAULT_CB2CF_CONFIG, regressor: 'sparse', ridgeLambda: 0.1 };

/**
 * CB2CF-style mapping: BPR factors learned on warm items, then a ridge
 * regression from content (TF-IDF, randomly projected, plus a constant) to
 * [item factor, item bias]. Warm items keep their learned factors; items
 * without trained factors (cold) use the mapped ones.
 */
export class Cb2cfRecommender implements ColdStartRecommender {
  readonly name: string;
  private model?: BprModel;
  private mapped = new Map<number, { q: Float32Array; b: number }>();

  constructor(private readonly config: Cb2cfConfig = DEFAULT_CB2CF_CONFIG) {
    this.name = config.regressor === 'sparse' ? 'cb2cf-sparse-ridge' : 'cb2cf-ridge';
  }

  fit(train: TrainingSet, contents: ItemContentMap): void {
    const { bpr, projectionDim: r } = this.config;
    const model = trainBpr(train.positives, train.warmItems, train.warmItems, bpr, train.seed);
    this.model = model;
    const vec = new TfIdfVectorizer(this.config.tfidf).fit(train.allItems, contents);
    if (this.config.regressor === 'sparse') {
      this.fitSparse(train, model, vec);
      return;
    }
    // Seeded Gaussian projection, one r-vector per term, scaled to keep dot products.
    const rng = new Rng(train.seed ^ 0xcb2cf);
    const proj = new Float32Array(vec.size * r);
    const scale = 1 / Math.sqrt(r);
    for (let k = 0; k < proj.length; k++) proj[k] = rng.normal() * scale;
    const p = r + 1;
    const features = (itemId: number): Float64Array => {
      const f = new Float64Array(p);
      const v = vec.vector(itemId);
      for (let k = 0; k < v.indices.length; k++) {
        const o = v.indices[k] * r;
        const w = v.values[k];
        for (let j = 0; j < r; j++) f[j] += w * proj[o + j];
      }
      f[r] = 1;
      return f;
    };
    const d = bpr.dim;
    const q = d + 1;
    const warm = train.warmItems.filter((i) => model.itemIndex.has(i));
    const X = new Float64Array(warm.length * p);
    const Y = new Float64Array(warm.length * q);
    warm.forEach((item, n) => {
      X.set(features(item), n * p);
      const idx = model.itemIndex.get(item)!;
      for (let k = 0; k < d; k++) Y[n * q + k] = model.itemFactors[idx * d + k];
      Y[n * q + d] = model.itemBias[idx];
    });
    const W = ridgeRegression(X, Y, warm.length, p, q, this.config.ridgeLambda);
    this.mapped.clear();
    const warmSet = new Set(warm);
    for (const item of train.allItems) {
      if (warmSet.has(item)) continue;
      const f = features(item);
      const out = new Float64Array(q);
      for (let a = 0; a < p; a++) {
        if (f[a] === 0) continue;
        for (let c = 0; c < q; c++) out[c] += f[a] * W[a * q + c];
      }
      this.mapped.set(item, { q: Float32Array.from(out.subarray(0, d)), b: out[d] });
    }
  }

  private fitSparse(train: TrainingSet, model: BprModel, vec: TfIdfVectorizer): void {
    const d = model.dim;
    const q = d + 1;
    const warm = train.warmItems.filter((i) => model.itemIndex.has(i));
    const Y = new Float64Array(warm.length * q);
    warm.forEach((item, n) => {
      const idx = model.itemIndex.get(item)!;
      for (let k = 0; k < d; k++) Y[n * q + k] = model.itemFactors[idx * d + k];
      Y[n * q + d] = model.itemBias[idx];
    });
    const { weights: W, intercept } = sparseRidgeRegression(
      warm.map((i) => vec.vector(i)),
      Y,
      vec.size,
      q,
      this.config.ridgeLambda,
    );
    this.mapped.clear();
    const warmSet = new Set(warm);
    for (const item of train.allItems) {
      if (warmSet.has(item)) continue;
      const v = vec.vector(item);
      const out = Float64Array.from(intercept);
      for (let k = 0; k < v.indices.length; k++) {
        const o = v.indices[k] * q;
        for (let c = 0; c < q; c++) out[c] += v.values[k] * W[o + c];
      }
      this.mapped.set(item, { q: Float32Array.from(out.subarray(0, d)), b: out[d] });
    }
  }

  scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Float32Array {
    const m = this.model;
    if (!m) throw new InvalidInputError(`${this.name}: fit() before scoreUsers()`);
    const d = m.dim;
    return scoreWithFactors(
      (u) => {
        const idx = m.userIndex.get(u);
        return idx === undefined ? undefined : m.userFactors.subarray(idx * d, (idx + 1) * d);
      },
      (i) => {
        const idx = m.itemIndex.get(i);
        if (idx !== undefined) return { q: m.itemFactors.subarray(idx * d, (idx + 1) * d), b: m.itemBias[idx] };
        return this.mapped.get(i);
      },
      d,
      userIds,
      candidateItemIds,
    );
  }
}
