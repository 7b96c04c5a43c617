import { ConflictError, NotFoundError } from '@tessera/common';
import type { ColdStartRecommender } from './cold-start-recommender';
import { RandomRecommender } from './random.recommender';
import { BprMfRecommender } from './bpr-mf.recommender';
import { ContentKnnRecommender } from './content-knn.recommender';
import { Cb2cfRecommender } from './cb2cf.recommender';
import { DEFAULT_BPR_CONFIG } from './bpr-mf';
import { DEFAULT_TFIDF_CONFIG } from './tfidf-vectorizer';
import { DEFAULT_CB2CF_CONFIG, SPARSE_CB2CF_CONFIG } from './cb2cf.recommender';

/** Builds a fresh, unfitted method for one seed/run. */
export type ColdStartMethodFactory = (options: { seed: number }) => ColdStartRecommender;

/**
 * Named cold-start methods. The runner looks methods up here, so new ones
 * (the Tessera encoder) register without touching the runner.
 */
export class ColdStartMethodRegistry {
  private readonly factories = new Map<string, ColdStartMethodFactory>();

  register(name: string, factory: ColdStartMethodFactory, options: { replace?: boolean } = {}): this {
    if (this.factories.has(name) && !options.replace) throw new ConflictError(`method "${name}" is already registered`);
    this.factories.set(name, factory);
    return this;
  }

  create(name: string, seed: number): ColdStartRecommender {
    const f = this.factories.get(name);
    if (!f) throw new NotFoundError(`unknown cold-start method "${name}"`, { known: this.names() });
    return f({ seed });
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  /** random, bpr-mf, content-tfidf, content-bm25, cb2cf-ridge, cb2cf-sparse-ridge with their default configs. */
  static withBaselines(): ColdStartMethodRegistry {
    return new ColdStartMethodRegistry()
      .register('random', ({ seed }) => new RandomRecommender(seed))
      .register('bpr-mf', () => new BprMfRecommender(DEFAULT_BPR_CONFIG))
      .register('content-tfidf', () => new ContentKnnRecommender(DEFAULT_TFIDF_CONFIG))
      .register('content-bm25', () => new ContentKnnRecommender({ ...DEFAULT_TFIDF_CONFIG, weighting: 'bm25' }))
      .register('cb2cf-ridge', () => new Cb2cfRecommender(DEFAULT_CB2CF_CONFIG))
      .register('cb2cf-sparse-ridge', () => new Cb2cfRecommender(SPARSE_CB2CF_CONFIG));
  }
}
