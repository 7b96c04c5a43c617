import { InvalidInputError, Rng } from '@tessera/common';
import type { ColdStartMethodRegistry, ColdStartRecommender, SparseVector, TrainingSet } from '../baselines';
import type { Interaction, ItemContentMap } from '../data';
import { ItemContentTokenizer, type ItemTokens, type ModalityGroup } from '../encoder';
import { type ColdStartConfigInput, parseColdStartConfig } from './cold-start.config';
import { ColdStartModel } from './cold-start-model';
import { ColdStartTrainer, type TrainingProgress, type TrainingReport } from './cold-start.trainer';
import type { RankingTask } from './cold-validation';

/** MovieLens + TMDB: one text modality (title, year, plot, tagline) and genres as input tokens (never targets). */
export const MOVIELENS_MODALITIES: ModalityGroup[] = [
  { name: 'text', fields: ['title', 'year', 'overview', 'tagline'], maxLength: 64 },
  { name: 'genres', fields: ['genres'], maxLength: 8, buckets: 256 },
];

/** CiteULike-a: the article's tag words and its citation neighbours as a second modality. */
export const CITEULIKE_MODALITIES: ModalityGroup[] = [
  { name: 'tags', fields: ['tags'], maxLength: 48 },
  { name: 'citations', fields: [], neighbours: true, maxLength: 32 },
];

export interface TesseraEncoderOptions {
  config?: ColdStartConfigInput;
  modalities: ModalityGroup[];
  /**
   * Share of the warm items held out (with all their interactions) as a pseudo-cold validation set
   * for early stopping. The runner's fit() gets no validation split, and the official cold-val items
   * must stay unseen, so the method carves its own from the training data. 0 = no early stopping.
   */
  validationFraction?: number;
  /** Cap on training users (0 = all): a seeded subsample for quick CPU runs. */
  maxTrainUsers?: number;
  onProgress?: (p: TrainingProgress) => void;
}

/**
 * The Tessera transformer encoder behind the datasets runner's ColdStartRecommender interface:
 * fit() trains from warm interactions and content; scoreUsers() encodes candidates from content only.
 */
export class TesseraEncoderRecommender implements ColdStartRecommender {
  readonly name = 'tessera-encoder';
  model?: ColdStartModel;
  report?: TrainingReport;
  private tokens = new Map<number, ItemTokens>();
  private readonly embeddings = new Map<number, Float32Array>();
  private readonly lexical = new Map<number, SparseVector>();

  constructor(
    private readonly options: TesseraEncoderOptions,
    private readonly seed = 1,
  ) {}

  async fit(train: TrainingSet, contents: ItemContentMap): Promise<void> {
    const config = parseColdStartConfig({ ...this.options.config, seed: this.options.config?.seed ?? this.seed });
    const tokenizer = new ItemContentTokenizer(this.options.modalities);
    this.tokens = new Map();
    for (const id of train.allItems) {
      const c = contents.get(id);
      if (c) this.tokens.set(id, tokenizer.tokenize(c));
    }
    const rng = new Rng(config.seed ^ 0xc01d);
    let users = [...train.users];
    if (this.options.maxTrainUsers && users.length > this.options.maxTrainUsers)
      users = rng
        .shuffle(users)
        .slice(0, this.options.maxTrainUsers)
        .sort((a, b) => a - b);
    const keepUser = new Set(users);
    const frac = this.options.validationFraction ?? 0.1;
    const held = new Set(rng.shuffle([...train.warmItems]).slice(0, Math.round(train.warmItems.length * frac)));
    const inTrain = (x: Interaction) => keepUser.has(x.userId) && !held.has(x.itemId);
    const positiveKeys = new Set(train.positives.map((x) => `${x.userId}:${x.itemId}`));
    const relevant = new Map<number, Set<number>>();
    for (const x of train.interactions) {
      if (!keepUser.has(x.userId) || !held.has(x.itemId) || !positiveKeys.has(`${x.userId}:${x.itemId}`)) continue;
      let s = relevant.get(x.userId);
      if (!s) relevant.set(x.userId, (s = new Set()));
      s.add(x.itemId);
    }
    const validation: RankingTask | undefined =
      held.size > 0 && relevant.size > 0 ? { candidates: [...held], relevant } : undefined;
    const interactions = train.interactions.filter(inTrain);
    const positives = train.positives.filter(inTrain);
    if (positives.length === 0)
      throw new InvalidInputError('tessera-encoder: no training positives left after the validation holdout');
    this.model?.dispose();
    this.embeddings.clear();
    this.lexical.clear();
    this.model = new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, users, tokenizer);
    const trainer = new ColdStartTrainer(config, this.model);
    try {
      this.report = await trainer.fit(
        { interactions, positives, itemTokens: this.tokens, validation },
        { onProgress: this.options.onProgress },
      );
    } finally {
      trainer.dispose();
    }
  }

  async scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Promise<Float32Array> {
    const model = this.model;
    if (!model) throw new InvalidInputError('tessera-encoder: fit() before scoreUsers()');
    const missing = candidateItemIds.filter((id) => !this.embeddings.has(id));
    if (missing.length > 0) {
      const tokens = missing.map((id) => this.tokens.get(id) ?? { modalities: {} });
      const z = await model.encodeItems(tokens);
      const lex = await model.lexicalVectors(tokens);
      missing.forEach((id, i) => {
        this.embeddings.set(id, z[i]);
        if (lex) this.lexical.set(id, lex[i]);
      });
    }
    return model.scoreUsers(
      userIds,
      candidateItemIds.map((id) => this.embeddings.get(id)!),
      model.lexical ? candidateItemIds.map((id) => this.lexical.get(id)!) : undefined,
    );
  }

  dispose(): void {
    this.model?.dispose();
    this.model = undefined;
  }
}

/** Adds the encoder to the runner's registry under `name` (default 'tessera-encoder'). */
export function registerTesseraEncoder(
  registry: ColdStartMethodRegistry,
  options: TesseraEncoderOptions,
  name = 'tessera-encoder',
): ColdStartMethodRegistry {
  return registry.register(name, ({ seed }) => new TesseraEncoderRecommender(options, seed));
}
