import { join } from 'node:path';
import {
  collectRecords,
  ImportReportBuilder,
  joinTmdbOverviews,
  readCiteULikeCitations,
  readCiteULikeInteractions,
  readCiteULikeItemTags,
  readCiteULikeTagNames,
  readJesterJokes,
  readJesterRatings,
  readMovieLensLinks,
  readMovieLensMovies,
  readMovieLensRatings,
  readMovieLensTags,
} from '@tessera/ingest/datasets';
import {
  buildCiteULikeContents,
  buildJesterContents,
  buildMovieLensContents,
  ColdStartDataset,
  IMPLICIT_POSITIVE,
  JESTER_POSITIVE,
  MOVIELENS_POSITIVE,
} from '@tessera/models/coldstart';

/** Public datasets in the cold-start protocol's shapes: the ingest parsers composed with the model's content builders. */
export async function loadMovieLensColdStart(
  mlRoot: string,
  options: { includeUserTags?: boolean } = {},
): Promise<ColdStartDataset> {
  const dir = join(mlRoot, 'ml-latest-small');
  const ratings = (await collectRecords((r) => readMovieLensRatings(dir, r))).records;
  const movies = (await collectRecords((r) => readMovieLensMovies(dir, r))).records;
  const links = (await collectRecords((r) => readMovieLensLinks(dir, r))).records;
  const tags = options.includeUserTags ? (await collectRecords((r) => readMovieLensTags(dir, r))).records : [];
  const overviews = [];
  for await (const o of joinTmdbOverviews(
    links,
    join(mlRoot, 'tmdb-5000', 'tmdb_5000_movies.csv'),
    new ImportReportBuilder(),
  )) {
    overviews.push(o);
  }
  const contents = buildMovieLensContents({ movies, overviews, tags }, options);
  return {
    name: options.includeUserTags ? 'movielens-small+tmdb (+user tags, leak)' : 'movielens-small+tmdb',
    interactions: ratings.map((r) => ({ userId: r.userId, itemId: r.itemId, rating: r.rating, ts: r.timestamp })),
    itemIds: movies.map((m) => m.movieId),
    contents,
    positive: MOVIELENS_POSITIVE,
  };
}

export async function loadCiteULikeColdStart(
  dir: string,
  options: { citations?: boolean } = {},
): Promise<ColdStartDataset> {
  const interactions = (await collectRecords((r) => readCiteULikeInteractions(dir, r))).records;
  const itemTags = (await collectRecords((r) => readCiteULikeItemTags(dir, r))).records;
  const tagNames = (await collectRecords((r) => readCiteULikeTagNames(dir, r))).records;
  const citations =
    options.citations === false ? [] : (await collectRecords((r) => readCiteULikeCitations(dir, r))).records;
  return {
    name: 'citeulike-a',
    interactions: interactions.map((r) => ({ userId: r.userId, itemId: r.itemId })),
    itemIds: itemTags.map((t) => t.id),
    contents: buildCiteULikeContents({ itemTags, tagNames, citations }),
    positive: IMPLICIT_POSITIVE,
  };
}

export async function loadJesterColdStart(dir: string): Promise<ColdStartDataset> {
  const ratings = (await collectRecords((r) => readJesterRatings(dir, r))).records;
  const jokes = (await collectRecords((r) => readJesterJokes(dir, r))).records;
  return {
    name: 'jester',
    interactions: ratings.map((r) => ({ userId: r.userId, itemId: r.itemId, rating: r.rating })),
    itemIds: jokes.map((j) => j.jokeId),
    contents: buildJesterContents(jokes),
    positive: JESTER_POSITIVE,
  };
}
