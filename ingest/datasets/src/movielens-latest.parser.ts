import { join } from 'node:path';
import { ImportReportBuilder } from './import-report';
import { parseFloatField, parseIntField, readCsvRows } from './csv-rows';
import type { MovieLinkRecord, MovieRecord, MovieTagRecord, RatingRecord } from './dataset-records';

/** The ml-latest(-small) files: movies.csv, ratings.csv, tags.csv, links.csv. */
export const MOVIELENS_LATEST_FILES = {
  movies: 'movies.csv',
  ratings: 'ratings.csv',
  tags: 'tags.csv',
  links: 'links.csv',
} as const;

const TITLE_YEAR = /^(.*?)\s*\((\d{4})(?:[-–]\d{0,4})?\)\s*$/;

/** "Toy Story (1995)" → title and year; titles without a year keep their text. */
export function splitMovieTitle(raw: string): { title: string; year?: number } {
  const m = TITLE_YEAR.exec(raw.trim());
  if (!m) return { title: raw.trim() };
  return { title: m[1], year: Number(m[2]) };
}

export async function* readMovieLensMovies(dir: string, report: ImportReportBuilder): AsyncGenerator<MovieRecord> {
  const file = MOVIELENS_LATEST_FILES.movies;
  for await (const { line, fields } of readCsvRows(join(dir, file), report, {
    required: ['movieId', 'title', 'genres'],
  })) {
    const movieId = parseIntField(fields.movieId);
    if (movieId === undefined) {
      report.skip(file, line, `bad movieId "${fields.movieId}"`);
      continue;
    }
    const genres = fields.genres === '(no genres listed)' ? [] : fields.genres.split('|').filter((g) => g !== '');
    report.count('movies');
    yield { movieId, ...splitMovieTitle(fields.title), genres };
  }
}

export async function* readMovieLensRatings(dir: string, report: ImportReportBuilder): AsyncGenerator<RatingRecord> {
  const file = MOVIELENS_LATEST_FILES.ratings;
  for await (const { line, fields } of readCsvRows(join(dir, file), report, {
    required: ['userId', 'movieId', 'rating', 'timestamp'],
  })) {
    const userId = parseIntField(fields.userId);
    const itemId = parseIntField(fields.movieId);
    const rating = parseFloatField(fields.rating);
    const timestamp = parseIntField(fields.timestamp);
    if (userId === undefined || itemId === undefined || rating === undefined || timestamp === undefined) {
      report.skip(file, line, 'non-numeric userId, movieId, rating or timestamp');
      continue;
    }
    if (rating < 0.5 || rating > 5) {
      report.skip(file, line, `rating ${rating} outside 0.5..5`);
      continue;
    }
    report.count('ratings');
    yield { userId, itemId, rating, timestamp };
  }
}

export async function* readMovieLensTags(dir: string, report: ImportReportBuilder): AsyncGenerator<MovieTagRecord> {
  const file = MOVIELENS_LATEST_FILES.tags;
  for await (const { line, fields } of readCsvRows(join(dir, file), report, {
    required: ['userId', 'movieId', 'tag', 'timestamp'],
  })) {
    const userId = parseIntField(fields.userId);
    const movieId = parseIntField(fields.movieId);
    const timestamp = parseIntField(fields.timestamp);
    const tag = fields.tag.trim();
    if (userId === undefined || movieId === undefined || timestamp === undefined || tag === '') {
      report.skip(file, line, 'non-numeric ids/timestamp or empty tag');
      continue;
    }
    report.count('tags');
    yield { userId, movieId, tag, timestamp };
  }
}

export async function* readMovieLensLinks(dir: string, report: ImportReportBuilder): AsyncGenerator<MovieLinkRecord> {
  const file = MOVIELENS_LATEST_FILES.links;
  for await (const { line, fields } of readCsvRows(join(dir, file), report, {
    required: ['movieId', 'imdbId', 'tmdbId'],
  })) {
    const movieId = parseIntField(fields.movieId);
    if (movieId === undefined || !/^\d+$/.test(fields.imdbId.trim())) {
      report.skip(file, line, 'bad movieId or imdbId');
      continue;
    }
    // tmdbId is legitimately empty for a few movies; keep the link without it.
    const tmdbId = parseIntField(fields.tmdbId);
    if (fields.tmdbId.trim() !== '' && tmdbId === undefined) {
      report.skip(file, line, `bad tmdbId "${fields.tmdbId}"`);
      continue;
    }
    report.count('links');
    yield { movieId, imdbId: fields.imdbId.trim(), ...(tmdbId !== undefined ? { tmdbId } : {}) };
  }
}
