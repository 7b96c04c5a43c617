/** Typed records the dataset parsers yield. Ids keep the dataset's own numbering. */

export interface RatingRecord {
  userId: number;
  itemId: number;
  rating: number;
  /** Unix seconds, when the dataset has one. */
  timestamp?: number;
}

export interface MovieRecord {
  movieId: number;
  /** Title without the trailing "(year)". */
  title: string;
  year?: number;
  genres: string[];
}

export interface MovieTagRecord {
  userId: number;
  movieId: number;
  tag: string;
  timestamp: number;
}

export interface MovieLinkRecord {
  movieId: number;
  imdbId: string;
  tmdbId?: number;
}

export interface MovieLensUserRecord {
  userId: number;
  age: number;
  gender: string;
  occupation: string;
  zip: string;
}

export interface TmdbMovieRecord {
  tmdbId: number;
  title: string;
  overview: string;
  tagline: string;
  genres: string[];
  keywords: string[];
}

/** Plot text for one MovieLens movie, joined through links.csv. */
export interface MovieOverviewRecord {
  movieId: number;
  tmdbId: number;
  overview: string;
  tagline: string;
}

export interface ItemListRecord {
  /** 0-based line index = the dataset's id (user id for users.dat, item id for item-tag/citations). */
  id: number;
  values: number[];
}

export interface TagNameRecord {
  tagId: number;
  tag: string;
}

export interface JokeRecord {
  jokeId: number;
  text: string;
}

export interface MomentQueryRecord {
  qid: number;
  query: string;
  /** Clip duration in seconds. */
  duration: number;
  vid: string;
  youtubeId: string;
  /** Where the clip sits in the source video (seconds), parsed from `vid`. */
  clipStart: number;
  clipEnd: number;
  /** [start, end] seconds inside the clip; empty on the unlabelled test split. */
  relevantWindows: [number, number][];
  relevantClipIds: number[];
  saliencyScores: number[][];
}

export interface DidemoMomentRecord {
  annotationId: number;
  description: string;
  video: string;
  numSegments: number;
  /** Annotators' [start, end] 5-second segment indices, inclusive. */
  segmentTimes: [number, number][];
  /** The same in seconds: [5*start, 5*(end+1)]. */
  windows: [number, number][];
}

export type MediaKind = 'video' | 'image' | 'text';

export interface MediaFileRecord {
  /** Path relative to the scanned root, with forward slashes. */
  relPath: string;
  absPath: string;
  kind: MediaKind;
  /** Container/format found by magic bytes (or `text`). */
  format: string;
  bytes: number;
}
