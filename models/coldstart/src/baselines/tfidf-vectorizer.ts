import type { ItemContent, ItemContentMap } from '../data';

/** A sparse, L2-normalised row. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

export interface TfIdfConfig {
  /** Fields holding " | "-separated labels (genres, tags): each label is one token. */
  labelFields: string[];
  /** Fields to ignore entirely. */
  skipFields: string[];
  /** Drop terms seen in fewer items (a term in one item cannot link two items). */
  minDf: number;
  /** Add `cite:<id>` tokens for citation neighbours. */
  useNeighbours: boolean;
  /** `tfidf` (1 + log tf) · idf, or `bm25` saturation (k1 = 1.2, b = 0.75) · idf. */
  weighting: 'tfidf' | 'bm25';
  /** Exponent p of idf in the weights (idf^p): 1 is the textbook profile; other values are lab diagnostics. */
  idfPower?: number;
}

export const DEFAULT_TFIDF_CONFIG: TfIdfConfig = {
  labelFields: ['genres', 'tags', 'userTags'],
  skipFields: ['year'],
  minDf: 2,
  useNeighbours: true,
  weighting: 'tfidf',
};

const STOPWORDS = new Set(
  'a an and are as at be by for from has he her his in is it its of on or she that the their they this to was were will with who when after his him into out up one two'.split(
    ' ',
  ),
);

/** Lower-cased word tokens (letters and digits, length ≥ 2, minus a short stopword list). */
export function wordTokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((t) => t.length >= 2 && !STOPWORDS.has(t));
}

/** Field-prefixed tokens of one item's content. */
export function contentTokens(content: ItemContent, config: TfIdfConfig): string[] {
  const out: string[] = [];
  for (const [field, text] of Object.entries(content.fields)) {
    if (config.skipFields.includes(field)) continue;
    if (config.labelFields.includes(field)) {
      for (const label of text.split('|')) {
        const l = label.trim().toLowerCase();
        if (l) out.push(`${field}:${l}`);
      }
    } else {
      for (const w of wordTokens(text)) out.push(w);
    }
  }
  if (config.useNeighbours) for (const n of content.neighbours ?? []) out.push(`cite:${n}`);
  return out;
}

/**
 * TF-IDF (or BM25-weighted) item vectors over a vocabulary fitted on the
 * content of all items. Content is known for cold items at test time, so
 * using it for the vocabulary and idf leaks no interactions.
 */
export class TfIdfVectorizer {
  readonly vocabulary = new Map<string, number>();
  private idf = new Float32Array(0);
  private readonly rows = new Map<number, SparseVector>();

  constructor(private readonly config: TfIdfConfig = DEFAULT_TFIDF_CONFIG) {}

  get size(): number {
    return this.vocabulary.size;
  }

  fit(itemIds: readonly number[], contents: ItemContentMap): this {
    const tokenised = new Map<number, string[]>();
    const df = new Map<string, number>();
    let totalLen = 0;
    for (const id of itemIds) {
      const c = contents.get(id);
      const toks = c ? contentTokens(c, this.config) : [];
      tokenised.set(id, toks);
      totalLen += toks.length;
      for (const t of new Set(toks)) df.set(t, (df.get(t) ?? 0) + 1);
    }
    const terms = [...df.entries()]
      .filter(([, n]) => n >= this.config.minDf)
      .map(([t]) => t)
      .sort();
    terms.forEach((t, i) => this.vocabulary.set(t, i));
    const n = itemIds.length;
    this.idf = new Float32Array(terms.length);
    const p = this.config.idfPower ?? 1;
    terms.forEach((t, i) => (this.idf[i] = (Math.log((n + 1) / (df.get(t)! + 1)) + 1) ** p));
    const avgLen = n > 0 ? totalLen / n : 1;
    for (const [id, toks] of tokenised) this.rows.set(id, this.vectorise(toks, avgLen));
    return this;
  }

  /** The item's vector (empty when it has no known terms). */
  vector(itemId: number): SparseVector {
    return this.rows.get(itemId) ?? { indices: new Int32Array(0), values: new Float32Array(0) };
  }

  private vectorise(tokens: string[], avgLen: number): SparseVector {
    const tf = new Map<number, number>();
    for (const t of tokens) {
      const i = this.vocabulary.get(t);
      if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
    }
    const indices = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
    const values = new Float32Array(indices.length);
    const lenNorm = 0.25 + (0.75 * tokens.length) / Math.max(avgLen, 1);
    let norm = 0;
    indices.forEach((i, k) => {
      const f = tf.get(i)!;
      const w = this.config.weighting === 'bm25' ? (f * 2.2) / (f + 1.2 * lenNorm) : 1 + Math.log(f);
      values[k] = w * this.idf[i];
      norm += values[k] * values[k];
    });
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = 0; k < values.length; k++) values[k] /= norm;
    return { indices, values };
  }
}
