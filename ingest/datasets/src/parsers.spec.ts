import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '@tessera/common';
import { collectRecords } from './collect';
import {
  readMovieLensLinks,
  readMovieLensMovies,
  readMovieLensRatings,
  splitMovieTitle,
} from './movielens-latest.parser';
import { readMl100kMovies, readMl100kRatings, readMl100kUsers } from './movielens-100k.parser';
import { joinTmdbOverviews } from './tmdb.parser';
import { readCiteULikeInteractions, readCiteULikeTagNames } from './citeulike.parser';
import { readJesterJokes, readJesterRatings } from './jester.parser';
import { readDidemo, readQvHighlights } from './moment-annotations.parser';
import { scanMediaFolder, sniffMediaFormat } from './media-folder.scanner';
import { ImportReportBuilder } from './import-report';

const dir = mkdtempSync(join(tmpdir(), 'tessera-datasets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fixture(sub: string, files: Record<string, string | Buffer>, encoding: BufferEncoding = 'utf8'): string {
  const d = join(dir, sub);
  mkdirSync(d, { recursive: true });
  for (const [name, body] of Object.entries(files))
    writeFileSync(join(d, name), body, typeof body === 'string' ? encoding : undefined);
  return d;
}

describe('missing dataset files', () => {
  it('are a typed NotFoundError naming the file (CSV and line files alike), and a folder is refused', async () => {
    const d = fixture('empty', {});
    await expect(collectRecords((r) => readMovieLensRatings(d, r))).rejects.toThrow(NotFoundError);
    await expect(collectRecords((r) => readMovieLensRatings(d, r))).rejects.toThrow(/ratings\.csv does not exist/);
    await expect(collectRecords((r) => readCiteULikeInteractions(d, r))).rejects.toThrow(NotFoundError);
    mkdirSync(join(d, 'ratings.csv'));
    await expect(collectRecords((r) => readMovieLensRatings(d, r))).rejects.toThrow(/is not a file/);
  });
});

describe('MovieLens latest CSV', () => {
  it('keeps good rows and skips a row with the wrong column count', async () => {
    const d = fixture('ml-latest', {
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0\n2,5,9.0,1\n2,6,3.5,964982224\n',
      'movies.csv':
        'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n2,"American President, The (1995)",Comedy|Drama\n3,Nothing,(no genres listed)\nx,Bad,Drama\n',
      'links.csv': 'movieId,imdbId,tmdbId\n1,0114709,862\n2,0112346,\n',
    });
    const ratings = await collectRecords((r) => readMovieLensRatings(d, r));
    expect(ratings.records).toEqual([
      { userId: 1, itemId: 1, rating: 4, timestamp: 964982703 },
      { userId: 2, itemId: 6, rating: 3.5, timestamp: 964982224 },
    ]);
    expect(ratings.report.imported).toEqual({ ratings: 2 });
    expect(ratings.report.skipped).toEqual([
      { file: 'ratings.csv', line: 3, reason: 'expected 4 columns, got 3' },
      { file: 'ratings.csv', line: 4, reason: 'rating 9 outside 0.5..5' },
    ]);

    const movies = await collectRecords((r) => readMovieLensMovies(d, r));
    expect(movies.records).toEqual([
      { movieId: 1, title: 'Toy Story', year: 1995, genres: ['Adventure', 'Animation'] },
      { movieId: 2, title: 'American President, The', year: 1995, genres: ['Comedy', 'Drama'] },
      { movieId: 3, title: 'Nothing', genres: [] },
    ]);
    expect(movies.report.skipped).toHaveLength(1);

    const links = await collectRecords((r) => readMovieLensLinks(d, r));
    expect(links.records).toEqual([
      { movieId: 1, imdbId: '0114709', tmdbId: 862 },
      { movieId: 2, imdbId: '0112346' },
    ]);
  });

  it('reports unbalanced quotes and goes on', async () => {
    const d = fixture('ml-quotes', {
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,"1,4.0,1\n2,2,4.0,2\n',
    });
    const { records, report } = await collectRecords((r) => readMovieLensRatings(d, r));
    expect(report.skippedCount).toBeGreaterThanOrEqual(1);
    expect(records.every((x) => Number.isFinite(x.rating))).toBe(true);
  });

  it('splits titles with a year range or no year', () => {
    expect(splitMovieTitle('Cosmos (1980)')).toEqual({ title: 'Cosmos', year: 1980 });
    expect(splitMovieTitle('Babylon 5')).toEqual({ title: 'Babylon 5' });
    expect(splitMovieTitle('Stranger Things (2016-)')).toEqual({ title: 'Stranger Things', year: 2016 });
  });
});

describe('MovieLens 100k layout (synthetic fixture)', () => {
  const flags = (on: number[]) => Array.from({ length: 19 }, (_, i) => (on.includes(i) ? '1' : '0')).join('|');
  const d = fixture(
    'ml-100k',
    {
      'u.data': '196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\n',
      'u.item': `1|Toy Story (1995)|01-Jan-1995||http://x|${flags([3, 4, 5])}\n2|Café Society|01-Jan-1995||http://x|${flags([8])}\n3|Bad|x\n`,
      'u.user': '1|24|M|technician|85711\n2|x|F|other|94043\n',
    },
    'latin1',
  );

  it('parses u.data, u.item (latin1) and u.user', async () => {
    const ratings = await collectRecords((r) => readMl100kRatings(d, r));
    expect(ratings.records).toEqual([
      { userId: 196, itemId: 242, rating: 3, timestamp: 881250949 },
      { userId: 186, itemId: 302, rating: 3, timestamp: 891717742 },
    ]);
    expect(ratings.report.skipped[0]).toEqual({
      file: 'u.data',
      line: 3,
      reason: 'expected 4 tab-separated columns, got 2',
    });

    const movies = await collectRecords((r) => readMl100kMovies(d, r));
    expect(movies.records).toEqual([
      { movieId: 1, title: 'Toy Story', year: 1995, genres: ['Animation', "Children's", 'Comedy'] },
      { movieId: 2, title: 'Café Society', year: 1995, genres: ['Drama'] },
    ]);
    expect(movies.report.skippedCount).toBe(1);

    const users = await collectRecords((r) => readMl100kUsers(d, r));
    expect(users.records).toEqual([{ userId: 1, age: 24, gender: 'M', occupation: 'technician', zip: '85711' }]);
    expect(users.report.skipped[0].reason).toBe('non-numeric user id or age');
  });
});

describe('TMDB overview join', () => {
  it('joins links to overviews across embedded newlines and quotes', async () => {
    const d = fixture('tmdb', {
      'tmdb.csv':
        'id,title,overview,tagline,genres,keywords\n' +
        '862,Toy Story,"Woody, a ""cowboy"" doll,\nis jealous.",Hang on,"[{""id"": 16, ""name"": ""Animation""}]",[]\n' +
        '999,Empty,,,[],[]\n' +
        '5,Broken,text,,not json,[]\n',
    });
    const report = new ImportReportBuilder();
    const links = [
      { movieId: 1, imdbId: '1', tmdbId: 862 },
      { movieId: 2, imdbId: '2', tmdbId: 999 },
      { movieId: 3, imdbId: '3' },
    ];
    const out = [];
    for await (const o of joinTmdbOverviews(links, join(d, 'tmdb.csv'), report)) out.push(o);
    expect(out).toEqual([
      { movieId: 1, tmdbId: 862, overview: 'Woody, a "cowboy" doll,\nis jealous.', tagline: 'Hang on' },
    ]);
    const r = report.toReport();
    expect(r.imported).toEqual({ tmdbMovies: 2, overviews: 1 });
    // The broken row starts on line 5 because the first record spans lines 2-3.
    expect(r.skipped).toEqual([
      { file: 'tmdb.csv', line: 5, reason: 'genres or keywords is not a JSON list of {name}' },
    ]);
  });
});

describe('CiteULike-a', () => {
  it('keeps ids aligned with lines and skips count mismatches', async () => {
    const d = fixture('citeulike', { 'users.dat': '2 0 5\n3 1 2\n1 7', 'tags.dat': 'ml\n\nbio' });
    const inter = await collectRecords((r) => readCiteULikeInteractions(d, r));
    expect(inter.records).toEqual([
      { userId: 0, itemId: 0, rating: 1 },
      { userId: 0, itemId: 5, rating: 1 },
      { userId: 2, itemId: 7, rating: 1 },
    ]);
    expect(inter.report.skipped).toEqual([{ file: 'users.dat', line: 2, reason: 'count says 3, line has 2 values' }]);
    const tags = await collectRecords((r) => readCiteULikeTagNames(d, r));
    expect(tags.records).toEqual([
      { tagId: 0, tag: 'ml' },
      { tagId: 2, tag: 'bio' },
    ]);
  });
});

describe('Jester', () => {
  it('reads CRLF files with multi-line quoted jokes', async () => {
    const d = fixture('jester', {
      'jester_items.csv': 'jokeId,jokeText\r\n1,"A man walks\r\ninto a ""bar"""\r\n2,Short one',
      'jester_ratings.csv': 'userId,jokeId,rating\r\n1,1,0.219\r\n1,2,-12\r\n2,1,-9.281',
    });
    const jokes = await collectRecords((r) => readJesterJokes(d, r));
    expect(jokes.records).toEqual([
      { jokeId: 1, text: 'A man walks\ninto a "bar"' },
      { jokeId: 2, text: 'Short one' },
    ]);
    const ratings = await collectRecords((r) => readJesterRatings(d, r));
    expect(ratings.records.map((x) => x.rating)).toEqual([0.219, -9.281]);
    expect(ratings.report.skipped).toEqual([
      { file: 'jester_ratings.csv', line: 3, reason: 'rating -12 outside -10..10' },
    ]);
  });
});

describe('moment annotations', () => {
  it('parses QVHighlights lines and skips bad JSON', async () => {
    const d = fixture('qvh', {
      'q.jsonl':
        '{"qid": 1, "query": "a dog", "duration": 150, "vid": "abc_d-1_210.0_360.0", "relevant_windows": [[10, 20]], "relevant_clip_ids": [5,6]}\n{oops\n{"qid": 2, "query": "b", "duration": 150, "vid": "x_0_150"}',
    });
    const { records, report } = await collectRecords((r) => readQvHighlights(join(d, 'q.jsonl'), r));
    expect(records.map((q) => [q.qid, q.youtubeId, q.clipStart, q.clipEnd, q.relevantWindows])).toEqual([
      [1, 'abc_d-1', 210, 360, [[10, 20]]],
      [2, 'x', 0, 150, []],
    ]);
    expect(report.skipped[0].line).toBe(2);
  });

  it('converts DiDeMo segment indices to seconds', async () => {
    const d = fixture('didemo', {
      'val.json': JSON.stringify([
        {
          num_segments: 6,
          description: 'a',
          video: 'v.mov',
          annotation_id: 7,
          times: [
            [1, 1],
            [0, 2],
            [5, 5],
            [1, 1],
          ],
        },
        { num_segments: 6, description: 'b', video: 'v.mov', annotation_id: 8, times: [[6, 6]] },
      ]),
    });
    const { records, report } = await collectRecords((r) => readDidemo(join(d, 'val.json'), r));
    expect(records[0].windows).toEqual([
      [5, 10],
      [0, 15],
      [25, 30],
      [5, 10],
    ]);
    expect(report.skipped).toEqual([
      { file: 'val.json', line: 2, reason: 'missing fields or segment indices outside 0..num_segments-1' },
    ]);
  });
});

describe('media folder scan', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(8)]);
  const root = fixture('media/root', {
    'a.png': png,
    'b.mp4': mp4,
    'notes.txt': 'hello',
    'fake.jpg': Buffer.from('not really a jpeg'),
    'bin.txt': Buffer.from([1, 0, 2]),
    'x.exe': 'MZ',
    '.hidden.png': png,
  });
  fixture('media/outside', { 'secret.txt': 'top secret' });
  mkdirSync(join(root, 'sub'));
  writeFileSync(
    join(root, 'sub', 'c.webm'),
    Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x42, 0x82, 0x84, ...Buffer.from('webm')]),
  );
  symlinkSync(join(dir, 'media/outside/secret.txt'), join(root, 'escape.txt'));
  symlinkSync(join(root, 'a.png'), join(root, 'inside-link.png'));

  it('classifies by extension and magic, refuses escaping links', async () => {
    const { records, report } = await collectRecords((r) => scanMediaFolder(root, r));
    expect(records.map((f) => [f.relPath, f.kind, f.format]).sort()).toEqual([
      ['a.png', 'image', 'png'],
      ['b.mp4', 'video', 'mp4'],
      ['inside-link.png', 'image', 'png'],
      ['notes.txt', 'text', 'text'],
      ['sub/c.webm', 'video', 'webm'],
    ]);
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.file, s.reason]));
    expect(reasons).toEqual({
      '.hidden.png': 'hidden entry',
      'bin.txt': 'extension .txt but content is binary',
      'escape.txt': 'symbolic link escapes the root or is dangling',
      'fake.jpg': 'extension .jpg but content is not a known image format',
      'x.exe': 'unsupported extension ".exe"',
    });
  });

  it('refuses a sub-folder outside the root', async () => {
    await expect(collectRecords((r) => scanMediaFolder(root, r, { subdir: '../outside' }))).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('sniffs formats from magic bytes', () => {
    expect(sniffMediaFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toEqual({ kind: 'image', format: 'jpeg' });
    expect(sniffMediaFormat(Buffer.from('hello world'))).toBeUndefined();
  });
});
