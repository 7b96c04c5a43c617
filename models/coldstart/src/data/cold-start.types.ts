/** Records of the cold-start protocol (spec section 4). Ids are the dataset's own numbers. */

export interface Interaction {
  userId: number;
  itemId: number;
  /** Explicit rating when the dataset has one (kept for the pairwise loss variant). */
  rating?: number;
  ts?: number;
}

export interface ColdSplit {
  warm: number[];
  coldVal: number[];
  coldTest: number[];
  seed: number;
}

/** What counts as a positive: rating ≥ min (MovieLens 4, Jester 3.5) or every interaction (implicit). */
export type PositiveRule = { kind: 'threshold'; min: number } | { kind: 'implicit' };

/**
 * Raw item content for baselines and encoders. `fields` are text-like modalities
 * (title, genres, overview, tagline, tags, …); `neighbours` are related item ids
 * (CiteULike citations). Any subset may be missing.
 */
export interface ItemContent {
  itemId: number;
  fields: Record<string, string>;
  neighbours?: number[];
}

export type ItemContentMap = ReadonlyMap<number, ItemContent>;

/** A dataset ready for the protocol: interactions, the item universe, content and the positive rule. */
export interface ColdStartDataset {
  name: string;
  interactions: Interaction[];
  /** Every item id with content or interactions. */
  itemIds: number[];
  contents: ItemContentMap;
  positive: PositiveRule;
}

export type EvalSetting = 'cold' | 'warm' | 'all';
export type EvalPart = 'val' | 'test';
