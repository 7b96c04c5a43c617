import type { ItemContent } from './cold-start.types';

/** Structural inputs (the shapes @tessera/ingest/datasets yields; an app passes them through). */
export interface MovieInput {
  movieId: number;
  title: string;
  year?: number;
  genres: string[];
}
export interface MovieOverviewInput {
  movieId: number;
  overview: string;
  tagline: string;
}
export interface MovieTagInput {
  movieId: number;
  tag: string;
}

export interface MovieLensContentOptions {
  /**
   * Add user tags (tags.csv) as a `userTags` field. Off by default: tags are
   * user activity, so for a cold item they leak interactions the protocol
   * hides. Report any result obtained with this flag as "with tag leak".
   */
  includeUserTags?: boolean;
}

/** MovieLens content: title (+ year), genres, TMDB overview and tagline; user tags only on request. */
export function buildMovieLensContents(
  input: { movies: Iterable<MovieInput>; overviews?: Iterable<MovieOverviewInput>; tags?: Iterable<MovieTagInput> },
  options: MovieLensContentOptions = {},
): Map<number, ItemContent> {
  const out = new Map<number, ItemContent>();
  for (const m of input.movies) {
    const fields: Record<string, string> = { title: m.title };
    if (m.genres.length > 0) fields.genres = m.genres.join(' | ');
    if (m.year !== undefined) fields.year = String(m.year);
    out.set(m.movieId, { itemId: m.movieId, fields });
  }
  for (const o of input.overviews ?? []) {
    const c = out.get(o.movieId);
    if (!c) continue;
    if (o.overview) c.fields.overview = o.overview;
    if (o.tagline) c.fields.tagline = o.tagline;
  }
  if (options.includeUserTags) {
    const byMovie = new Map<number, string[]>();
    for (const t of input.tags ?? []) {
      const list = byMovie.get(t.movieId) ?? [];
      list.push(t.tag);
      byMovie.set(t.movieId, list);
    }
    for (const [movieId, tags] of byMovie) {
      const c = out.get(movieId);
      if (c) c.fields.userTags = tags.join(' | ');
    }
  }
  return out;
}

export interface IdListInput {
  id: number;
  values: number[];
}

/**
 * CiteULike-a content: the article's tag names (`tags`; tags are assigned by
 * users, so they are content with a caveat) and its citation neighbours.
 */
export function buildCiteULikeContents(input: {
  itemTags: Iterable<IdListInput>;
  tagNames: Iterable<{ tagId: number; tag: string }>;
  citations?: Iterable<IdListInput>;
}): Map<number, ItemContent> {
  const names = new Map<number, string>();
  for (const t of input.tagNames) names.set(t.tagId, t.tag);
  const out = new Map<number, ItemContent>();
  for (const { id, values } of input.itemTags) {
    const tags = values.map((v) => names.get(v)).filter((t): t is string => t !== undefined);
    out.set(id, { itemId: id, fields: tags.length > 0 ? { tags: tags.join(' | ') } : {} });
  }
  for (const { id, values } of input.citations ?? []) {
    const c = out.get(id) ?? { itemId: id, fields: {} };
    c.neighbours = [...values];
    out.set(id, c);
  }
  return out;
}

/** Jester: the joke text. */
export function buildJesterContents(jokes: Iterable<{ jokeId: number; text: string }>): Map<number, ItemContent> {
  const out = new Map<number, ItemContent>();
  for (const j of jokes) out.set(j.jokeId, { itemId: j.jokeId, fields: { text: j.text } });
  return out;
}
