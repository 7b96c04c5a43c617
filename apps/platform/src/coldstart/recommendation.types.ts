import type { Filter } from '@tessera/vector-store';

export interface RecommendationHit {
  itemId: string;
  score: number;
  title: string | null;
  kind: string;
  /** How the hit was found: `user-embedding`, `history-tower`, `session-examples`, `similar-items` (`+lexical`: with the sparse score). */
  source: string;
  /** The item had no training interactions (a cold item for this model version). */
  cold: boolean;
}

export interface PageQuery {
  limit?: number;
  offset?: number;
  /** Qdrant-style payload filter over `kind`, `source`, `title`, `warm`, `itemId`. */
  filter?: Filter | null;
  /** Catalogue item ids never returned. */
  exclude?: string[];
  scoreThreshold?: number;
}

export interface RecommendationPage {
  modelVersion: string;
  hits: RecommendationHit[];
  limit: number;
  offset: number;
}
