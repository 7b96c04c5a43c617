import type { Interaction, ItemContentMap } from '../data';

/** What a method sees at training time: warm-item interactions only. */
export interface TrainingSet {
  /** All training interactions (explicit ratings kept). */
  interactions: Interaction[];
  /** Training positives under the dataset's rule. */
  positives: Interaction[];
  users: number[];
  /** Items with training interactions. */
  warmItems: number[];
  /** Every item of the dataset (warm and cold), e.g. to pre-compute content features. */
  allItems: number[];
  seed: number;
}

/**
 * One cold-start method. `scoreUsers` returns a row-major users × candidates
 * matrix (higher = better). Async is allowed so TF.js encoders fit the same
 * interface as the plain-JS baselines.
 */
export interface ColdStartRecommender {
  readonly name: string;
  fit(train: TrainingSet, contents: ItemContentMap): void | Promise<void>;
  scoreUsers(userIds: readonly number[], candidateItemIds: readonly number[]): Float32Array | Promise<Float32Array>;
}
