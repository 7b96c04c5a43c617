import type { ColdStartRecommender, TrainingSet } from './cold-start-recommender';
import { BprConfig, BprModel, DEFAULT_BPR_CONFIG, scoreWithFactors, trainBpr } from './bpr-mf';
import { InvalidInputError } from '@tessera/common';

/**
 * ID-only matrix factorisation (BPR). Cold items get factors that training
 * never touches (random init, bias 0), so on cold items it must score at
 * chance: the sanity check that the split hides them.
 */
export class BprMfRecommender implements ColdStartRecommender {
  readonly name = 'bpr-mf';
  private model?: BprModel;

  constructor(private readonly config: BprConfig = DEFAULT_BPR_CONFIG) {}

  fit(train: TrainingSet): void {
    this.model = trainBpr(train.positives, train.allItems, train.warmItems, this.config, train.seed);
  }

  scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Float32Array {
    const m = this.model;
    if (!m) throw new InvalidInputError('bpr-mf: fit() before scoreUsers()');
    const d = m.dim;
    return scoreWithFactors(
      (u) => {
        const idx = m.userIndex.get(u);
        return idx === undefined ? undefined : m.userFactors.subarray(idx * d, (idx + 1) * d);
      },
      (i) => {
        const idx = m.itemIndex.get(i);
        return idx === undefined
          ? undefined
          : { q: m.itemFactors.subarray(idx * d, (idx + 1) * d), b: m.itemBias[idx] };
      },
      d,
      userIds,
      candidateItemIds,
    );
  }
}
