import { InvalidInputError } from '@tessera/common';
import type { ItemContent } from '../data';
import { HashedVocabulary, type HashedVocabularyState } from './hashed-vocabulary';
import type { IdsModalitySpec } from './item-encoder.config';
import type { ItemTokens } from './item-tokens.types';

/** One text-like modality built from some content fields (and optionally the item's neighbour ids). */
export interface ModalityGroup {
  name: string;
  /** Content fields joined in this order (e.g. title, overview, tagline). */
  fields: string[];
  /** Add `ItemContent.neighbours` (e.g. CiteULike citations) as tokens `nb<id>`. */
  neighbours?: boolean;
  /** Tokens the transformer reads (the first ones). */
  maxLength: number;
  /**
   * Tokens the lexical channel reads, when more than `maxLength` (a sparse score costs little per token, a
   * transformer position a lot). Default: `maxLength`.
   */
  lexicalMaxLength?: number;
  /** Hash buckets of this modality's vocabulary (default 2^15). */
  buckets?: number;
  /**
   * Hash buckets of a separate vocabulary for the lexical channel (its tokens then go in `lexicalTokens`). A
   * sparse weight per bucket is cheap where an embedding row per bucket is not, so it can afford far fewer
   * collisions. Default: the lexical channel reads the transformer's ids.
   */
  lexicalBuckets?: number;
  /**
   * Treat the fields as " | "-separated labels (tags, genres): each whole label is one token, as the
   * TF-IDF baseline reads them, instead of its words. Default false (word tokens).
   */
  labels?: boolean;
}

export interface ItemContentTokenizerState {
  groups: ModalityGroup[];
  vocabularies: Record<string, HashedVocabularyState>;
}

/**
 * Turns the datasets' text-field ItemContent into encoder tokens, one ids modality per group.
 * Its state is saved with the model so serving tokenises exactly as training did.
 */
export class ItemContentTokenizer {
  private readonly vocabularies = new Map<string, HashedVocabulary>();
  private readonly lexicalVocabularies = new Map<string, HashedVocabulary>();

  constructor(readonly groups: ModalityGroup[]) {
    if (groups.length === 0) throw new InvalidInputError('at least one modality group is needed');
    for (const g of groups) {
      if (g.fields.length === 0 && !g.neighbours)
        throw new InvalidInputError(`modality group '${g.name}' reads no field`);
      this.vocabularies.set(g.name, new HashedVocabulary(g.buckets ?? 1 << 15));
      if (g.lexicalBuckets !== undefined) this.lexicalVocabularies.set(g.name, new HashedVocabulary(g.lexicalBuckets));
    }
  }

  static fromState(state: ItemContentTokenizerState): ItemContentTokenizer {
    const t = new ItemContentTokenizer(state.groups);
    for (const g of state.groups) {
      const saved = HashedVocabulary.fromState(state.vocabularies[g.name]);
      if (saved.buckets !== t.vocabularies.get(g.name)!.buckets)
        throw new InvalidInputError(`vocabulary of '${g.name}' does not match its group`);
    }
    return t;
  }

  modalitySpecs(): IdsModalitySpec[] {
    return this.groups.map((g) => ({
      name: g.name,
      kind: 'ids',
      vocabSize: this.vocabularies.get(g.name)!.buckets,
      maxLength: g.maxLength,
      ...(g.lexicalMaxLength && g.lexicalMaxLength > g.maxLength ? { lexicalMaxLength: g.lexicalMaxLength } : {}),
      ...(g.lexicalBuckets !== undefined ? { lexicalVocabSize: g.lexicalBuckets } : {}),
    }));
  }

  /** Missing or empty fields simply leave the modality out. */
  tokenize(content: ItemContent): ItemTokens {
    const modalities: ItemTokens['modalities'] = {};
    for (const g of this.groups) {
      const texts = g.fields.map((f) => content.fields[f] ?? '').filter((s) => s.length > 0);
      const lexicalVocab = this.lexicalVocabularies.get(g.name);
      const lexicalCut = Math.max(g.maxLength, g.lexicalMaxLength ?? 0);
      // Without its own vocabulary the lexical channel reads the transformer's ids, so those run to its length.
      const ids = this.encodeGroup(
        g,
        this.vocabularies.get(g.name)!,
        texts,
        content,
        lexicalVocab ? g.maxLength : lexicalCut,
      );
      if (ids.length === 0) continue;
      modalities[g.name] = lexicalVocab
        ? { kind: 'ids', tokens: ids, lexicalTokens: this.encodeGroup(g, lexicalVocab, texts, content, lexicalCut) }
        : { kind: 'ids', tokens: ids };
    }
    return { modalities };
  }

  /** The first `cut` ids of a group's fields (words or labels) and then its neighbours. */
  private encodeGroup(
    g: ModalityGroup,
    vocab: HashedVocabulary,
    texts: string[],
    content: ItemContent,
    cut: number,
  ): number[] {
    const ids = g.labels ? vocab.encodeLabels(texts, cut) : vocab.encode(texts.join(' . '), cut);
    if (g.neighbours && content.neighbours) {
      for (const nb of content.neighbours) {
        if (ids.length >= cut) break;
        ids.push(vocab.idOf(`nb${nb}`));
      }
    }
    return ids;
  }

  state(): ItemContentTokenizerState {
    const vocabularies: Record<string, HashedVocabularyState> = {};
    for (const [name, v] of this.vocabularies) vocabularies[name] = v.state();
    return { groups: this.groups.map((g) => ({ ...g })), vocabularies };
  }
}
