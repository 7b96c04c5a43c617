import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@tessera/common';
import { ItemRepository } from '@tessera/db';
import { VectorStore } from '@tessera/vector-store';
import { pointIdFor } from './catalogue-point-id';
import { COLDSTART_ALIAS } from './coldstart-jobs';
import { ColdStartModels } from './coldstart-models.service';
import { lexicalFromPayload } from './lexical-search';

export interface AudienceHit {
  userId: string;
  score: number;
}

/**
 * The warm users a (possibly brand-new) item suits best: the model's score over its user table, <z_u, z_i>
 * (+ γ·<p_u, v_i> with the item's stored lexical vector for models with the lexical channel).
 */
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
      withPayload: true,
    });
    if (!point?.vector || !Array.isArray(point.vector))
      throw new NotFoundError(`item ${itemId} is not embedded yet (tessera embed coldstart)`, { itemId });
    const numericUsers = [...loaded.warmUsers.values()];
    const lexical = loaded.model.lexical ? lexicalFromPayload(point.payload) : undefined;
    const scores = await loaded.model.scoreUsers(
      numericUsers,
      [Float32Array.from(point.vector)],
      lexical ? [lexical] : undefined,
    );
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
