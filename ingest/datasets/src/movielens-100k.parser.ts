import { join } from 'node:path';
import { ImportReportBuilder } from './import-report';
import { parseFloatField, parseIntField } from './csv-rows';
import { readLines } from './line-reader';
import type { MovieLensUserRecord, MovieRecord, RatingRecord } from './dataset-records';
import { splitMovieTitle } from './movielens-latest.parser';

/** The 19 genre flags of u.item, in file order (u.genre). */
export const ML100K_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const;

/** u.data: `user \t item \t rating \t timestamp`, no header. */
export async function* readMl100kRatings(dir: string, report: ImportReportBuilder): AsyncGenerator<RatingRecord> {
  const file = 'u.data';
  for await (const { line, text } of readLines(join(dir, file))) {
    if (text.trim() === '') continue;
    const parts = text.split('\t');
    if (parts.length !== 4) {
      report.skip(file, line, `expected 4 tab-separated columns, got ${parts.length}`);
      continue;
    }
    const [userId, itemId, rating, timestamp] = [
      parseIntField(parts[0]),
      parseIntField(parts[1]),
      parseFloatField(parts[2]),
      parseIntField(parts[3]),
    ];
    if (userId === undefined || itemId === undefined || rating === undefined || timestamp === undefined) {
      report.skip(file, line, 'non-numeric field');
      continue;
    }
    if (rating < 1 || rating > 5) {
      report.skip(file, line, `rating ${rating} outside 1..5`);
      continue;
    }
    report.count('ratings');
    yield { userId, itemId, rating, timestamp };
  }
}

/** u.item: pipe-separated, latin1; id|title|release|video release|IMDb URL|19 genre flags. */
export async function* readMl100kMovies(dir: string, report: ImportReportBuilder): AsyncGenerator<MovieRecord> {
  const file = 'u.item';
  const columns = 5 + ML100K_GENRES.length;
  for await (const { line, text } of readLines(join(dir, file), 'latin1')) {
    if (text.trim() === '') continue;
    const parts = text.split('|');
    if (parts.length !== columns) {
      report.skip(file, line, `expected ${columns} pipe-separated columns, got ${parts.length}`);
      continue;
    }
    const movieId = parseIntField(parts[0]);
    const flags = parts.slice(5);
    if (movieId === undefined || flags.some((f) => f !== '0' && f !== '1')) {
      report.skip(file, line, 'bad movie id or genre flag');
      continue;
    }
    const genres = ML100K_GENRES.filter((_, i) => flags[i] === '1' && i > 0);
    const { title, year } = splitMovieTitle(parts[1]);
    // The release date ("01-Jan-1995") gives the year when the title has none.
    const dateYear = /(\d{4})$/.exec(parts[2])?.[1];
    const y = year ?? (dateYear ? Number(dateYear) : undefined);
    report.count('movies');
    yield { movieId, title, ...(y !== undefined ? { year: y } : {}), genres: [...genres] };
  }
}

/** u.user: id|age|gender|occupation|zip. */
export async function* readMl100kUsers(dir: string, report: ImportReportBuilder): AsyncGenerator<MovieLensUserRecord> {
  const file = 'u.user';
  for await (const { line, text } of readLines(join(dir, file), 'latin1')) {
    if (text.trim() === '') continue;
    const parts = text.split('|');
    if (parts.length !== 5) {
      report.skip(file, line, `expected 5 pipe-separated columns, got ${parts.length}`);
      continue;
    }
    const userId = parseIntField(parts[0]);
    const age = parseIntField(parts[1]);
    if (userId === undefined || age === undefined) {
      report.skip(file, line, 'non-numeric user id or age');
      continue;
    }
    report.count('users');
    yield { userId, age, gender: parts[2], occupation: parts[3], zip: parts[4] };
  }
}
