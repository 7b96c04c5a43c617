import { Injectable } from '@nestjs/common';
import { InvalidInputError } from '@tessera/common';
import { type Item, ItemRepository } from '@tessera/db';
import { meanSparse, type SparseVector } from '@tessera/models/coldstart';
import { Filter, ScoredPoint, VectorStore } from '@tessera/vector-store';
import { CatalogueDatasetLoader } from './catalogue-dataset.loader';
import { catalogueItemTokens } from './catalogue-item-tokens';
import { CatalogueMediaReader } from './catalogue-media.reader';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS } from './coldstart-jobs';
import { ColdStartModels } from './coldstart-models.service';
import { hybridSearch } from './lexical-search';
import { PageQuery, RecommendationHit, RecommendationPage } from './recommendation.types';

export interface RecommendItemsCommand extends PageQuery {
  /** A known catalogue user. */
  userId?: string;
  /** A session user with no stored history: items they liked / disliked. */
  liked?: string[];
  disliked?: string[];
  /** `new`: only items the model never saw interactions for; `all`: the whole catalogue. */
  candidates?: 'new' | 'all';
  /** Keep items the user already interacted with (excluded by default). */
  includeSeen?: boolean;
  modelVersion?: string;
}

/** Ratings at or above this count as "liked" when a known user is not in the model's user table. */
const LIKED_MIN = 4;
/** At most this many liked items make a history-tower user vector. */
const HISTORY_CAP = 256;

/**
 * Cold-start recommendations from the vector store, so they work unchanged on Qdrant:
 * a warm user searches with their learned embedding; a user the model never saw (a new account or a
 * session) is represented by the items they liked and disliked (Qdrant's recommend, average vector,
 * or best score when there are only dislikes) — or, for a history-tower model, by the tower's vector of
 * their liked items. New items are recommendable as soon as they are embedded.
 */
@Injectable()
export class RecommendItemsUsecase {
  constructor(
    private readonly models: ColdStartModels,
    private readonly vectors: VectorStore,
    private readonly loader: CatalogueDatasetLoader,
    private readonly items: ItemRepository,
    private readonly media: CatalogueMediaReader,
  ) {}

  async execute(cmd: RecommendItemsCommand): Promise<RecommendationPage> {
    const limit = cmd.limit ?? 20;
    const offset = cmd.offset ?? 0;
    if (!cmd.userId && !cmd.liked?.length && !cmd.disliked?.length)
      throw new InvalidInputError('give a userId, or liked/disliked item ids for a new user');
    const loaded = await this.models.getServed(cmd.modelVersion);
    const exclude = new Set(cmd.exclude ?? []);
    let liked = [...(cmd.liked ?? [])];
    const disliked = [...(cmd.disliked ?? [])];
    const named = await this.fetchItems([...liked, ...disliked, ...exclude]);

    let userVector: Float32Array | undefined;
    let profile: SparseVector | undefined;
    if (cmd.userId) {
      const seen = await this.loader.seenBy(cmd.userId);
      if (!cmd.includeSeen) for (const s of seen) exclude.add(s.itemId);
      const numericId = loaded.warmUsers.get(cmd.userId);
      if (numericId !== undefined) {
        userVector = await loaded.model.userEmbedding(numericId);
        profile = loaded.model.profileOf(numericId);
      } else liked = [...liked, ...seen.filter((s) => s.value >= LIKED_MIN).map((s) => s.itemId)];
      if (!userVector && liked.length === 0 && disliked.length === 0)
        throw new InvalidInputError(`user ${cmd.userId} has no liked items yet; send liked/disliked item ids`, {
          userId: cmd.userId,
        });
    }
    for (const id of [...liked, ...disliked]) exclude.add(id);

    const filter = withCandidates(cmd.filter ?? null, cmd.candidates ?? 'new');
    const common = {
      limit,
      offset,
      filter,
      scoreThreshold: cmd.scoreThreshold,
      exclude: [...exclude].map(pointIdFor),
      withPayload: true,
    };
    let points: ScoredPoint[];
    let source: string;
    // Models with the lexical channel add γ·<p_u, v_i> to the dense score (hybridSearch).
    const search = async (vector: Float32Array): Promise<ScoredPoint[]> => {
      const gamma = profile && loaded.model.lexical ? await loaded.model.lexical.scale() : undefined;
      return profile && gamma !== undefined
        ? hybridSearch(this.vectors, COLDSTART_ALIAS, { ...common, vector }, { profile, gamma })
        : this.vectors.search(COLDSTART_ALIAS, { ...common, vector });
    };
    if (userVector) {
      points = await search(userVector);
      source = profile ? 'user-embedding+lexical' : 'user-embedding';
    } else if (loaded.model.userTower === 'history' && liked.length > 0) {
      // A history-tower model turns any list of liked items into a user vector, as it does for warm users.
      const tokens = [];
      for (const id of liked.slice(-HISTORY_CAP)) {
        const item = named.get(id) ?? (await this.items.getById(id));
        tokens.push(
          (await catalogueItemTokens(item, await this.loader.contentOf(item), loaded.model, this.media)).tokens,
        );
      }
      const vector = await loaded.model.userVectorFromHistory(tokens);
      const lexical = await loaded.model.lexicalVectors(tokens);
      if (lexical) profile = meanSparse(lexical);
      points = await search(vector);
      source = profile ? 'history-tower+lexical' : 'history-tower';
    } else {
      points = await this.vectors.recommend(COLDSTART_ALIAS, {
        ...common,
        positive: liked.map(pointIdFor),
        negative: disliked.map(pointIdFor),
        strategy: liked.length ? 'average_vector' : 'best_score',
      });
      source = 'session-examples';
    }
    return { modelVersion: loaded.version, hits: points.map((p) => toHit(p, source)), limit, offset };
  }

  /** The named items by id; an unknown id throws (404), so a typo never silently narrows the request. */
  private async fetchItems(ids: string[]): Promise<Map<string, Item>> {
    const out = new Map<string, Item>();
    for (const id of ids) if (!out.has(id)) out.set(id, await this.items.getById(id));
    return out;
  }
}

export function withCandidates(filter: Filter | null, candidates: 'new' | 'all'): Filter | null {
  if (candidates === 'all') return filter;
  const onlyNew = { key: 'warm', match: { value: false } };
  return filter ? { must: [filter, onlyNew] } : { must: [onlyNew] };
}

export function toHit(p: ScoredPoint, source: string): RecommendationHit {
  const payload = (p.payload ?? {}) as { itemId: string; title: string | null; kind: string; warm: boolean };
  return {
    itemId: payload.itemId,
    score: p.score,
    title: payload.title ?? null,
    kind: payload.kind,
    source,
    cold: !payload.warm,
  };
}
