import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@tessera/common';
import { ClipRepository } from '@tessera/db';
import { Filter, ScoredPoint, VectorStore } from '@tessera/vector-store';
import { pointIdFor } from '../coldstart/catalogue-point-id';
import { VTTWINS_CAPTIONS_ALIAS, VTTWINS_CLIPS_ALIAS } from './vttwins-model.store';
import { VttwinsModels } from './vttwins-models.service';

export interface SegmentHit {
  itemId: string;
  clipId: string;
  title: string | null;
  start: number;
  end: number;
  score: number;
  caption: string | null;
  thumbnailUrl: string | null;
}

export interface SearchPage {
  limit?: number;
  offset?: number;
  filter?: Filter | null;
  exclude?: string[];
  scoreThreshold?: number;
}

function toSegment(p: ScoredPoint): SegmentHit {
  const x = (p.payload ?? {}) as {
    itemId: string;
    clipId: string;
    title: string | null;
    start: number;
    end: number;
    caption: string | null;
    thumbnailAssetId: string | null;
  };
  return {
    itemId: x.itemId,
    clipId: x.clipId,
    title: x.title ?? null,
    start: x.start,
    end: x.end,
    score: p.score,
    caption: x.caption ?? null,
    thumbnailUrl: x.thumbnailAssetId ? `/assets/${x.thumbnailAssetId}/content` : null,
  };
}

/** Video-text search in the VT-TWINS joint space: text → ranked clips, clip → nearest captions. */
@Injectable()
export class SearchVideoUsecase {
  constructor(
    private readonly models: VttwinsModels,
    private readonly vectors: VectorStore,
    private readonly clips: ClipRepository,
  ) {}

  async clipsForText(query: string, page: SearchPage = {}) {
    const model = await this.models.get();
    const vector = await model.embedQuery(query);
    const points = await this.vectors.search(VTTWINS_CLIPS_ALIAS, this.request(vector, page));
    return {
      modelVersion: model.card.version,
      query,
      hits: points.map(toSegment),
      limit: page.limit ?? 10,
      offset: page.offset ?? 0,
    };
  }

  async captionsForClip(clipId: string, page: SearchPage = {}) {
    const model = await this.models.get();
    await this.clips.getById(clipId);
    const [point] = await this.vectors.get(VTTWINS_CLIPS_ALIAS, [pointIdFor(clipId)], { withVector: true });
    const vector = point?.vector;
    if (!Array.isArray(vector)) throw new NotFoundError(`clip ${clipId} is not embedded yet (tessera train vttwins)`);
    const points = await this.vectors.search(VTTWINS_CAPTIONS_ALIAS, this.request(vector, page));
    return {
      modelVersion: model.card.version,
      clipId,
      hits: points.map(toSegment),
      limit: page.limit ?? 10,
      offset: page.offset ?? 0,
    };
  }

  private request(vector: ArrayLike<number>, page: SearchPage) {
    return {
      vector: Array.from(vector),
      limit: page.limit ?? 10,
      offset: page.offset ?? 0,
      filter: page.filter ?? null,
      scoreThreshold: page.scoreThreshold,
      exclude: (page.exclude ?? []).map(pointIdFor),
      withPayload: true,
    };
  }
}
