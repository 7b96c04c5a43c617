import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@tessera/common';
import { ItemRepository } from '@tessera/db';
import { VectorStore } from '@tessera/vector-store';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS } from './coldstart-jobs';
import { ColdStartModels } from './coldstart-models.service';

export interface AudienceHit {
  userId: string;
  score: number;
}

/** The warm users a (possibly brand-new) item suits best: <z_u, z_i> over the model's user table. */
@Injectable()
export class ItemAudienceUsecase {
  constructor(
    private readonly models: ColdStartModels,
    private readonly vectors: VectorStore,
    private readonly items: ItemRepository,
  ) {}

  async execute(itemId: string, q: { limit?: number; offset?: number } = {}) {
    await this.items.getById(itemId);
    const loaded = await this.models.getServed();
    const [point] = await this.vectors.get(COLDSTART_ALIAS, [pointIdFor(itemId)], {
      withVector: true,
      withPayload: false,
    });
    if (!point?.vector || !Array.isArray(point.vector))
      throw new NotFoundError(`item ${itemId} is not embedded yet (tessera embed coldstart)`, { itemId });
    const numericUsers = [...loaded.warmUsers.values()];
    const scores = await loaded.model.scoreUsers(numericUsers, [Float32Array.from(point.vector)]);
    const ranked: AudienceHit[] = numericUsers.map((u, j) => ({ userId: loaded.ids.users[u], score: scores[j] }));
    ranked.sort((a, b) => b.score - a.score);
    const limit = q.limit ?? 20;
    const offset = q.offset ?? 0;
    return {
      modelVersion: loaded.version,
      users: ranked.slice(offset, offset + limit),
      total: ranked.length,
      limit,
      offset,
    };
  }
}
