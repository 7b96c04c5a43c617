import { InvalidInputError } from '@tessera/common';
import type { ItemContentMap } from '../data';
import type { ColdStartRecommender, TrainingSet } from './cold-start-recommender';
import { DEFAULT_TFIDF_CONFIG, TfIdfConfig, TfIdfVectorizer } from './tfidf-vectorizer';

/**
 * Content-based profile: user = mean of the TF-IDF vectors of their training
 * positives; score = dot(profile, item vector). Needs no interactions for the
 * candidate, so it works on cold items.
 */
export class ContentKnnRecommender implements ColdStartRecommender {
  readonly name: string;
  private vectorizer?: TfIdfVectorizer;
  private readonly profileItems = new Map<number, number[]>();

  constructor(private readonly config: TfIdfConfig = DEFAULT_TFIDF_CONFIG) {
    this.name = config.weighting === 'bm25' ? 'content-bm25' : 'content-tfidf';
  }

  fit(train: TrainingSet, contents: ItemContentMap): void {
    this.vectorizer = new TfIdfVectorizer(this.config).fit(train.allItems, contents);
    this.profileItems.clear();
    for (const x of train.positives) {
      const list = this.profileItems.get(x.userId) ?? [];
      list.push(x.itemId);
      this.profileItems.set(x.userId, list);
    }
  }

  scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Float32Array {
    const vec = this.vectorizer;
    if (!vec) throw new InvalidInputError(`${this.name}: fit() before scoreUsers()`);
    const nc = candidateItemIds.length;
    const out = new Float32Array(userIds.length * nc);
    // Inverted index over the candidates: term → (candidate, weight). A user's
    // profile touches few terms, so walking their postings beats a dot product
    // with every candidate.
    const postingStart = new Int32Array(vec.size + 1);
    const candidates = candidateItemIds.map((i) => vec.vector(i));
    for (const v of candidates) for (let k = 0; k < v.indices.length; k++) postingStart[v.indices[k] + 1]++;
    for (let t = 0; t < vec.size; t++) postingStart[t + 1] += postingStart[t];
    const fill = postingStart.slice(0, vec.size);
    const postCand = new Int32Array(postingStart[vec.size]);
    const postWeight = new Float32Array(postingStart[vec.size]);
    candidates.forEach((v, c) => {
      for (let k = 0; k < v.indices.length; k++) {
        const at = fill[v.indices[k]]++;
        postCand[at] = c;
        postWeight[at] = v.values[k];
      }
    });
    const profile = new Float32Array(vec.size);
    for (let r = 0; r < userIds.length; r++) {
      const items = this.profileItems.get(userIds[r]) ?? [];
      const touched: number[] = [];
      for (const it of items) {
        const v = vec.vector(it);
        for (let k = 0; k < v.indices.length; k++) {
          if (profile[v.indices[k]] === 0) touched.push(v.indices[k]);
          profile[v.indices[k]] += v.values[k] / items.length;
        }
      }
      const row = r * nc;
      for (const t of touched) {
        const w = profile[t];
        if (w === 0) continue;
        for (let at = postingStart[t]; at < postingStart[t + 1]; at++) out[row + postCand[at]] += w * postWeight[at];
        profile[t] = 0;
      }
    }
    return out;
  }
}
