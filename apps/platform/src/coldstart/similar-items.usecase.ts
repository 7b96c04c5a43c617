import { Injectable } from '@nestjs/common';
import { ItemRepository } from '@tessera/db';
import { VectorStore } from '@tessera/vector-store';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS } from './coldstart-jobs';
import { ColdStartModels } from './coldstart-models.service';
import { PageQuery, RecommendationPage } from './recommendation.types';
import { toHit, withCandidates } from './recommend-items.usecase';

/** Items whose content embedding is closest to an item's: works for a brand-new item at once. */
@Injectable()
export class SimilarItemsUsecase {
  constructor(
    private readonly models: ColdStartModels,
    private readonly vectors: VectorStore,
    private readonly items: ItemRepository,
  ) {}

  async execute(itemId: string, q: PageQuery & { candidates?: 'new' | 'all' } = {}): Promise<RecommendationPage> {
    await this.items.getById(itemId);
    const loaded = await this.models.getServed();
    const limit = q.limit ?? 10;
    const offset = q.offset ?? 0;
    const points = await this.vectors.recommend(COLDSTART_ALIAS, {
      positive: [pointIdFor(itemId)],
      limit,
      offset,
      filter: withCandidates(q.filter ?? null, q.candidates ?? 'all'),
      scoreThreshold: q.scoreThreshold,
      exclude: (q.exclude ?? []).map(pointIdFor),
      withPayload: true,
    });
    return { modelVersion: loaded.version, hits: points.map((p) => toHit(p, 'similar-items')), limit, offset };
  }
}
