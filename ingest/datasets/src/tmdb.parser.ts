import { basename } from 'node:path';
import { ImportReportBuilder } from './import-report';
import { parseIntField, readCsvRows } from './csv-rows';
import type { MovieLinkRecord, MovieOverviewRecord, TmdbMovieRecord } from './dataset-records';

/** tmdb_5000_movies.csv: quoted fields with embedded newlines, JSON lists for genres/keywords. */
export async function* readTmdbMovies(path: string, report: ImportReportBuilder): AsyncGenerator<TmdbMovieRecord> {
  const file = basename(path);
  for await (const { line, fields } of readCsvRows(path, report, { required: ['id', 'title', 'overview'] })) {
    const tmdbId = parseIntField(fields.id);
    if (tmdbId === undefined) {
      report.skip(file, line, `bad id "${fields.id}"`);
      continue;
    }
    const genres = namesOf(fields.genres);
    const keywords = namesOf(fields.keywords);
    if (genres === undefined || keywords === undefined) {
      report.skip(file, line, 'genres or keywords is not a JSON list of {name}');
      continue;
    }
    report.count('tmdbMovies');
    yield {
      tmdbId,
      title: fields.title,
      overview: (fields.overview ?? '').trim(),
      tagline: (fields.tagline ?? '').trim(),
      genres,
      keywords,
    };
  }
}

function namesOf(json: string | undefined): string[] | undefined {
  if (json === undefined || json.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return undefined;
    return parsed.map((x: { name?: unknown }) => String(x?.name ?? '')).filter((n) => n !== '');
  } catch {
    return undefined;
  }
}

/**
 * Join MovieLens links to TMDB rows: one overview record per MovieLens movie
 * whose tmdbId has a non-empty overview. The TMDB file is read once into a map.
 */
export async function* joinTmdbOverviews(
  links: Iterable<MovieLinkRecord> | AsyncIterable<MovieLinkRecord>,
  tmdbPath: string,
  report: ImportReportBuilder,
): AsyncGenerator<MovieOverviewRecord> {
  const byTmdb = new Map<number, TmdbMovieRecord>();
  for await (const m of readTmdbMovies(tmdbPath, report)) byTmdb.set(m.tmdbId, m);
  for await (const link of links) {
    if (link.tmdbId === undefined) continue;
    const m = byTmdb.get(link.tmdbId);
    if (!m || m.overview === '') continue;
    report.count('overviews');
    yield { movieId: link.movieId, tmdbId: link.tmdbId, overview: m.overview, tagline: m.tagline };
  }
}
