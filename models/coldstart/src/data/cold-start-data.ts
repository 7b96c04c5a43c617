import { InvalidInputError, Rng } from '@tessera/common';
import type { ColdSplit, ColdStartDataset, EvalPart, EvalSetting, Interaction, PositiveRule } from './cold-start.types';
import { isPositive } from './positive-rule';
import { splitColdItems } from './cold-split';

export interface ColdStartDataOptions {
  seed: number;
  fractions?: [number, number, number];
  /** Share of warm-item interactions held out for the warm and "all" settings (default 0.1). */
  warmHoldout?: number;
}

/** One evaluation task: rank `candidates` for each user; `relevant` are the held-out positives. */
export interface EvalTask {
  setting: EvalSetting;
  part: EvalPart;
  candidates: number[];
  users: number[];
  relevant: Map<number, Set<number>>;
  /** Items to leave out of a user's ranking (their training interactions). */
  exclude: Map<number, Set<number>>;
}

/**
 * The DropoutNet/CLCRec item cold-start protocol (spec section 5) over one
 * dataset and seed: a fixed 80/10/10 item split, every interaction of a cold
 * item removed from training, and a seeded holdout of warm interactions for the
 * warm and "all" settings.
 */
export class ColdStartData {
  readonly split: ColdSplit;
  /** Training interactions: warm items only, minus the warm holdout. */
  readonly train: Interaction[];
  readonly warmHoldout: Interaction[];
  readonly coldVal: Interaction[];
  readonly coldTest: Interaction[];
  readonly positive: PositiveRule;
  private readonly trainItemsByUser = new Map<number, Set<number>>();

  private constructor(dataset: ColdStartDataset, split: ColdSplit, holdout: number) {
    this.split = split;
    this.positive = dataset.positive;
    const role = new Map<number, 'warm' | 'val' | 'test'>();
    for (const i of split.warm) role.set(i, 'warm');
    for (const i of split.coldVal) role.set(i, 'val');
    for (const i of split.coldTest) role.set(i, 'test');
    const warm: Interaction[] = [];
    const coldVal: Interaction[] = [];
    const coldTest: Interaction[] = [];
    for (const x of dataset.interactions) {
      const r = role.get(x.itemId);
      if (r === 'warm') warm.push(x);
      else if (r === 'val') coldVal.push(x);
      else if (r === 'test') coldTest.push(x);
    }
    // Hold out warm interactions, but never an item's last training interaction.
    const rng = new Rng(split.seed ^ 0x5eed);
    const left = new Map<number, number>();
    for (const x of warm) left.set(x.itemId, (left.get(x.itemId) ?? 0) + 1);
    const train: Interaction[] = [];
    const held: Interaction[] = [];
    for (const x of warm) {
      const n = left.get(x.itemId)!;
      if (n > 1 && rng.next() < holdout) {
        held.push(x);
        left.set(x.itemId, n - 1);
      } else train.push(x);
    }
    this.train = train;
    this.warmHoldout = held;
    this.coldVal = coldVal;
    this.coldTest = coldTest;
    for (const x of train) {
      let s = this.trainItemsByUser.get(x.userId);
      if (!s) this.trainItemsByUser.set(x.userId, (s = new Set()));
      s.add(x.itemId);
    }
  }

  /** Split the items that have at least one interaction; items without any can never be evaluated. */
  static build(dataset: ColdStartDataset, options: ColdStartDataOptions): ColdStartData {
    const holdout = options.warmHoldout ?? 0.1;
    if (!(holdout >= 0 && holdout < 1)) throw new InvalidInputError(`warmHoldout must be in [0, 1), got ${holdout}`);
    const interacted = new Set(dataset.interactions.map((x) => x.itemId));
    const split = splitColdItems(interacted, { seed: options.seed, fractions: options.fractions });
    return new ColdStartData(dataset, split, holdout);
  }

  /** Training positives (per the dataset's rule). */
  trainPositives(): Interaction[] {
    return this.train.filter((x) => isPositive(this.positive, x));
  }

  /** Items each user interacted with in training (any rating), for exclusion. */
  trainItemsOf(userId: number): ReadonlySet<number> {
    return this.trainItemsByUser.get(userId) ?? new Set();
  }

  /**
   * Cold: rank only the cold items of `part` for users with ≥ 1 positive there.
   * Warm: rank warm items for users with a held-out warm positive.
   * All: rank warm ∪ cold items, relevant = held-out warm positives ∪ cold positives.
   * Training items are excluded from warm and "all" rankings.
   */
  task(setting: EvalSetting, part: EvalPart = 'test'): EvalTask {
    const coldItems = part === 'val' ? this.split.coldVal : this.split.coldTest;
    const coldInteractions = part === 'val' ? this.coldVal : this.coldTest;
    const sources: Interaction[][] = [];
    let candidates: number[];
    if (setting === 'cold') {
      candidates = [...coldItems];
      sources.push(coldInteractions);
    } else if (setting === 'warm') {
      candidates = [...this.split.warm];
      sources.push(this.warmHoldout);
    } else {
      candidates = [...this.split.warm, ...coldItems];
      sources.push(this.warmHoldout, coldInteractions);
    }
    const relevant = new Map<number, Set<number>>();
    for (const list of sources) {
      for (const x of list) {
        if (!isPositive(this.positive, x)) continue;
        let s = relevant.get(x.userId);
        if (!s) relevant.set(x.userId, (s = new Set()));
        s.add(x.itemId);
      }
    }
    const users = [...relevant.keys()].sort((a, b) => a - b);
    const exclude = new Map<number, Set<number>>();
    if (setting !== 'cold') for (const u of users) exclude.set(u, this.trainItemsByUser.get(u) ?? new Set());
    return { setting, part, candidates, users, relevant, exclude };
  }
}
