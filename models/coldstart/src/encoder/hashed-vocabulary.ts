import { InvalidInputError } from '@tessera/common';

/** What a saved model records to rebuild its vocabulary exactly. */
export interface HashedVocabularyState {
  kind: 'hashed-words';
  buckets: number;
  hash: 'fnv1a32';
  normalise: 'nfkc-lower-unicode-words';
}

/**
 * Words hashed into a fixed number of buckets (spec §7's fallback when no trained sub-word
 * tokenizer is available): lower-cased NFKC text split on anything that is not a letter or digit;
 * id = 1 + fnv1a32(word) mod (buckets − 1). Id 0 stays free for padding. Stateless, so the saved
 * state is just its parameters.
 */
export class HashedVocabulary {
  constructor(readonly buckets = 1 << 15) {
    if (!Number.isInteger(buckets) || buckets < 2)
      throw new InvalidInputError(`buckets must be an integer ≥ 2, got ${buckets}`);
  }

  static fromState(state: HashedVocabularyState): HashedVocabulary {
    if (state?.kind !== 'hashed-words' || state.hash !== 'fnv1a32') {
      throw new InvalidInputError(`unsupported vocabulary state ${JSON.stringify(state)}`);
    }
    return new HashedVocabulary(state.buckets);
  }

  words(text: string): string[] {
    return text
      .normalize('NFKC')
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length > 0);
  }

  idOf(word: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    return 1 + ((h >>> 0) % (this.buckets - 1));
  }

  /** Ids of the first `maxLength` words. */
  encode(text: string, maxLength = Number.POSITIVE_INFINITY): number[] {
    const out: number[] = [];
    for (const w of this.words(text)) {
      if (out.length >= maxLength) break;
      out.push(this.idOf(w));
    }
    return out;
  }

  /**
   * Ids of the first `maxLength` distinct labels of " | "-separated label lists; a label's words are
   * normalised like `words()` and joined with '_', so "Gene Expression" and "gene-expression" agree.
   */
  encodeLabels(texts: readonly string[], maxLength = Number.POSITIVE_INFINITY): number[] {
    const out: number[] = [];
    const seen = new Set<string>();
    for (const text of texts) {
      for (const raw of text.split('|')) {
        if (out.length >= maxLength) return out;
        const label = this.words(raw).join('_');
        if (label.length === 0 || seen.has(label)) continue;
        seen.add(label);
        out.push(this.idOf(`#${label}`));
      }
    }
    return out;
  }

  state(): HashedVocabularyState {
    return { kind: 'hashed-words', buckets: this.buckets, hash: 'fnv1a32', normalise: 'nfkc-lower-unicode-words' };
  }
}
