import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '@tessera/common';

// The built `tessera` command as a user runs it (npm run build first; the test command does).
function tessera(args: string[], dataDir: string) {
  const r = spawnSync(process.execPath, [join(projectRoot(), 'bin/tessera.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, TESSERA_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tessera CLI', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));

  it('doctor --json reports versions, backends and ffmpeg', () => {
    const r = tessera(['doctor', '--json'], dataDir);
    const report = JSON.parse(r.stdout);
    expect(report.versions.node).toBe(process.versions.node);
    expect(report.config).toMatchObject({ vectorStore: 'embedded', queue: 'embedded (catalogue DB)' });
    expect(report.components.ffmpeg).toMatchObject({ ok: true });
  });

  it('ingest reports created and failed files and exits 1 when a file failed', () => {
    const folder = join(dataDir, 'in');
    mkdirSync(folder);
    copyFileSync(join(projectRoot(), 'test/fixtures/video/popeye/popeye-p4.mkv'), join(folder, 'clip.mkv'));
    copyFileSync(join(projectRoot(), 'test/fixtures/video/popeye/popeye-p4.eng.srt'), join(folder, 'clip.eng.srt'));
    writeFileSync(
      join(folder, 'fake.mkv'),
      Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(64, 7)]),
    );
    const r = tessera(['ingest', folder, '--json'], dataDir);
    const report = JSON.parse(r.stdout);
    expect(r.code).toBe(1);
    expect(report.created).toEqual([
      expect.objectContaining({ relPath: 'clip.mkv', kind: 'video', clips: expect.any(Number) }),
    ]);
    expect(report.failed).toEqual([
      expect.objectContaining({ relPath: 'fake.mkv', error: expect.stringMatching(/invalid_input|unsupported_media/) }),
    ]);
    const again = JSON.parse(tessera(['ingest', folder, '--json'], dataDir).stdout);
    expect(again.unchanged.map((u: { relPath: string }) => u.relPath)).toEqual(['clip.mkv']);
  });

  it('import skips a CSV row with the wrong column count, names it, and imports the rest', () => {
    const ml = join(dataDir, 'ml');
    mkdirSync(ml);
    writeFileSync(
      join(ml, 'movies.csv'),
      'movieId,title,genres\n1,Toy Story (1995),Animation|Children\n2,Broken row\n3,"Heat, The (1995)",Action\n',
    );
    writeFileSync(
      join(ml, 'ratings.csv'),
      'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,5.0,964981247\n2,1,3.0,964982224\n',
    );
    writeFileSync(join(ml, 'links.csv'), 'movieId,imdbId,tmdbId\n1,0114709,862\n3,0113277,949\n');
    const r = tessera(['import', 'movielens', ml, '--json'], dataDir);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.written).toMatchObject({ items: 2, users: 2, interactions: 3 });
    expect(result.report.skipped).toEqual([
      expect.objectContaining({ line: 3, reason: expect.stringMatching(/column/) }),
    ]);
  });

  it('train lm --json prints the JSON alone on stdout (the subword tokenizer trainer writes nothing there)', () => {
    const corpus = join(dataDir, 'tiny-hh.jsonl');
    const rows = ['tea', 'rain', 'cats', 'maps', 'bread', 'snow', 'boats', 'clocks'].map((t) => {
      const prompt = `\n\nHuman: Tell me about ${t}.\n\nAssistant:`;
      return JSON.stringify({ chosen: `${prompt} Gladly: ${t} is a fine topic.`, rejected: `${prompt} No.` });
    });
    writeFileSync(corpus, `${rows.join('\n')}\n`);
    const r = tessera(
      ['train', 'lm', '--source', 'hh-rlhf', '--path', corpus, '--size', 'tiny', '--steps', '1', '--json'],
      dataDir,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('{')).toBe(true);
    expect(JSON.parse(r.stdout).card.tokenizer).toMatchObject({ kind: 'subword' });
  });

  it('eval keeps the report in <data>/eval and says so when no trained model can take it in its card', () => {
    const r = tessera(['eval', 'vttwins', '--parts', 'moments', '--json'], dataDir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.moments.sets.length).toBeGreaterThanOrEqual(0);
    expect(report.modelCard).toEqual({
      recorded: false,
      reason: expect.stringMatching(/^no trained vttwins model in .*\(tessera train vttwins\)$/),
    });
    const text = tessera(['eval', 'vttwins', '--parts', 'moments'], dataDir);
    expect(text.stdout).toMatch(
      /not recorded in a model card: no trained vttwins model .*; the report stays in .*eval\/vttwins-/,
    );
    // a named version that does not exist is refused before the evaluation runs
    const missing = tessera(['eval', 'coldstart', '--dataset', 'movielens', '--model', 'v404'], dataDir);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/coldstart model version "v404" does not exist/);
    expect(missing.stderr).not.toMatch(/seed 1/);
  });

  it('fails with one line and a typed exit code on bad input', () => {
    const unknown = tessera(['import', 'imdb', dataDir], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^tessera: invalid_input: unknown dataset "imdb"/),
    ]);
    const missing = tessera(['ingest', join(dataDir, 'nope')], dataDir);
    expect(missing.code).toBe(4);
    const badConfig = spawnSync(process.execPath, [join(projectRoot(), 'bin/tessera.js'), 'doctor'], {
      encoding: 'utf8',
      env: { ...process.env, PORT: 'eighty', QDRANT_URL: 'nope' },
    });
    expect(badConfig.status).toBe(3);
    expect(badConfig.stderr).toMatch(/PORT/);
    expect(badConfig.stderr).toMatch(/QDRANT_URL/);
  });
});
