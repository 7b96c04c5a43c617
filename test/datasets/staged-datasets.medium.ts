import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsSharedData } from '@tessera/testing';
import {
  collectRecords,
  ImportReportBuilder,
  joinTmdbOverviews,
  readCiteULikeCitations,
  readCiteULikeInteractions,
  readCiteULikeItemTags,
  readCiteULikeTagNames,
  readDidemo,
  readJesterJokes,
  readJesterRatings,
  readMovieLensLinks,
  readMovieLensMovies,
  readMovieLensRatings,
  readMovieLensTags,
  readQvHighlights,
  scanMediaFolder,
} from '@tessera/ingest/datasets';

const ml = needsSharedData('movielens');
describe.skipIf(ml.skip)(`MovieLens latest-small + TMDB${ml.reason}`, () => {
  const dir = join(ml.path, 'ml-latest-small');
  it('matches the README counts', async () => {
    const ratings = await collectRecords((r) => readMovieLensRatings(dir, r));
    expect(ratings.records).toHaveLength(100_836);
    expect(ratings.report.skippedCount).toBe(0);
    expect(new Set(ratings.records.map((r) => r.userId)).size).toBe(610);
    expect(new Set(ratings.records.map((r) => r.itemId)).size).toBe(9_724);
    const movies = await collectRecords((r) => readMovieLensMovies(dir, r));
    expect(movies.records).toHaveLength(9_742);
    expect(movies.report.skippedCount).toBe(0);
    const tags = await collectRecords((r) => readMovieLensTags(dir, r));
    expect(tags.records).toHaveLength(3_683);
    const links = await collectRecords((r) => readMovieLensLinks(dir, r));
    expect(links.records).toHaveLength(9_742);
    expect(links.records.filter((l) => l.tmdbId === undefined)).toHaveLength(8);
  });

  it('joins 3,536 TMDB overviews (3,537 movies) through links.csv', async () => {
    const report = new ImportReportBuilder();
    const links = (await collectRecords((r) => readMovieLensLinks(dir, r))).records;
    const overviews = [];
    for await (const o of joinTmdbOverviews(links, join(ml.path, 'tmdb-5000', 'tmdb_5000_movies.csv'), report))
      overviews.push(o);
    expect(report.get('tmdbMovies')).toBe(4_803);
    // The data README's 3,536 counts distinct TMDB ids; two MovieLens movies share tmdbId 4912.
    expect(new Set(overviews.map((o) => o.tmdbId)).size).toBe(3_536);
    expect(overviews).toHaveLength(3_537);
    expect(report.toReport().skippedCount).toBe(0);
  });
});

const cu = needsSharedData('citeulike-a');
describe.skipIf(cu.skip)(`CiteULike-a${cu.reason}`, () => {
  it('matches the README counts', async () => {
    const inter = await collectRecords((r) => readCiteULikeInteractions(cu.path, r));
    expect(inter.records).toHaveLength(204_986);
    expect(inter.report.imported.users).toBe(5_551);
    const tags = await collectRecords((r) => readCiteULikeItemTags(cu.path, r));
    expect(tags.records).toHaveLength(16_980);
    const names = await collectRecords((r) => readCiteULikeTagNames(cu.path, r));
    expect(names.records).toHaveLength(46_391);
    const cites = await collectRecords((r) => readCiteULikeCitations(cu.path, r));
    expect(cites.records.reduce((s, c) => s + c.values.length, 0)).toBe(89_418);
  });
});

const js = needsSharedData('jester');
describe.skipIf(js.skip)(`Jester${js.reason}`, () => {
  it('reads 150 jokes and 38,217 ratings', async () => {
    const jokes = await collectRecords((r) => readJesterJokes(js.path, r));
    expect(jokes.records).toHaveLength(150);
    expect(jokes.records.every((j) => !j.text.includes('\r'))).toBe(true);
    const ratings = await collectRecords((r) => readJesterRatings(js.path, r));
    expect(ratings.records).toHaveLength(38_217);
    expect(new Set(ratings.records.map((r) => r.userId)).size).toBe(906);
    expect(new Set(ratings.records.map((r) => r.itemId)).size).toBe(140);
  });
});

const ann = needsSharedData('video', 'annotations');
describe.skipIf(ann.skip)(`moment annotations${ann.reason}`, () => {
  it('reads QVHighlights val and DiDeMo val', async () => {
    const qv = await collectRecords((r) =>
      readQvHighlights(join(ann.path, 'qvhighlights', 'highlight_val_release.jsonl'), r),
    );
    expect(qv.records).toHaveLength(1_550);
    expect(new Set(qv.records.map((q) => q.vid)).size).toBe(1_519);
    expect(qv.records.every((q) => q.relevantWindows.length > 0)).toBe(true);
    const test = await collectRecords((r) =>
      readQvHighlights(join(ann.path, 'qvhighlights', 'highlight_test_release.jsonl'), r),
    );
    expect(test.records).toHaveLength(1_542);
    const dd = await collectRecords((r) => readDidemo(join(ann.path, 'didemo', 'val_data.json'), r));
    expect(dd.records.length + dd.report.skippedCount).toBe(4_180);
    expect(new Set(dd.records.map((d) => d.video)).size).toBeGreaterThan(1_000);
    expect(dd.records.every((d) => d.windows.every(([s, e]) => e - s >= 5 && e <= 30))).toBe(true);
  });
});

const vid = needsSharedData('video');
describe.skipIf(vid.skip)(`media folder scan${vid.reason}`, () => {
  it('finds the staged clips and subtitles', async () => {
    const { records } = await collectRecords((r) => scanMediaFolder(vid.path, r));
    const byPath = new Map(records.map((f) => [f.relPath, f]));
    expect(byPath.get('popeye/popeye-p2.mkv')?.format).toBe('matroska');
    expect(byPath.get('mediaelement/echo-hereweare.webm')?.format).toBe('webm');
    expect(byPath.get('mediaelement/mediaelement.srt')?.kind).toBe('text');
  });
});
