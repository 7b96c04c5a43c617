import { Rng } from '@tessera/common';
import type { ColdStartRecommender, TrainingSet } from './cold-start-recommender';

/** The floor: independent uniform scores from a seeded Rng. */
export class RandomRecommender implements ColdStartRecommender {
  readonly name = 'random';
  private rng: Rng;

  constructor(private readonly seed = 0) {
    this.rng = new Rng(seed);
  }

  fit(train: TrainingSet): void {
    this.rng = new Rng(this.seed ^ train.seed);
  }

  scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Float32Array {
    const out = new Float32Array(userIds.length * candidateItemIds.length);
    for (let i = 0; i < out.length; i++) out[i] = this.rng.next();
    return out;
  }
}
