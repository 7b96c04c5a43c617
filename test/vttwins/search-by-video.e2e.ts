import type { INestApplication } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, loadConfig, NotFoundError, projectRoot } from '@tessera/common';
import { ItemRepository } from '@tessera/db';
import { writeTruncatedMp4 } from '@tessera/testing';
import { startApi } from '../../apps/api/src/bootstrap';
import { EmbedClipsUsecase, IngestFolderUsecase, TrainVttwinsUsecase, VttwinsModels } from '../../apps/platform/src';

const fixtures = join(projectRoot(), 'test', 'fixtures', 'video');

function testVideo(path: string, seconds: number, size = '64x48', rate = 5): void {
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=duration=${seconds}:size=${size}:rate=${rate}`,
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
}

const srt = (cues: [number, number, string][]) =>
  cues
    .map(([s, e, t], i) => {
      const ts = (x: number) => `00:00:${String(Math.floor(x)).padStart(2, '0')},000`;
      return `${i + 1}\n${ts(s)} --> ${ts(e)}\n${t}\n`;
    })
    .join('\n');

// The bundled Popeye clips plus two generated videos (one without subtitles, one with a cue past its end)
// ingested; VT-TWINS trained on them; search by an uploaded video over real HTTP, and the bad inputs.
describe('VT-TWINS: search captions with an uploaded video, bad training input, model versions', () => {
  let app: INestApplication;
  let url: string;
  let dataDir: string;
  let work: string;
  let ids: Record<string, string>;
  let trainedSkipped: { itemId: string; reason: string }[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tessera-vt-upload-'));
    dataDir = join(work, 'data');
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      TESSERA_DATA_DIR: dataDir,
      // small enough that the 3.4 MB MediaElement clip is "too big", large enough for the Popeye clips
      TESSERA_MAX_UPLOAD_BYTES: String(1_000_000),
    });
    app = await startApi(config, { runWorker: false });
    url = await app.getUrl();
    const folder = join(work, 'videos');
    mkdirSync(folder);
    for (const p of ['popeye-p2', 'popeye-p3', 'popeye-p4']) {
      copyFileSync(join(fixtures, 'popeye', `${p}.mkv`), join(folder, `${p}.mkv`));
      copyFileSync(join(fixtures, 'popeye', `${p}.eng.srt`), join(folder, `${p}.eng.srt`));
    }
    testVideo(join(folder, 'nosubs.mp4'), 41);
    testVideo(join(folder, 'late.mp4'), 20);
    writeFileSync(
      join(folder, 'late.srt'),
      srt([
        [1, 3, 'a coloured test pattern'],
        [5, 7, 'the pattern keeps moving'],
        [9, 11, 'numbers count upwards'],
        [13, 15, 'a bright gradient sweeps across'],
        [30, 35, 'this line is spoken after the video has ended'],
      ]),
    );
    await app.get(IngestFolderUsecase).execute({ path: folder });
    const items = await app.get(ItemRepository).list({ kind: 'video', limit: 50 });
    ids = Object.fromEntries(items.map((i) => [String(i.metadata.filename).replace(/\.[^.]+$/, ''), i.id]));
    const trained = await app.get(TrainVttwinsUsecase).execute({ version: 'v1', steps: 12 });
    trainedSkipped = trained.skipped;
    await app.get(EmbedClipsUsecase).execute({ version: 'v1' });
  });

  afterAll(async () => {
    await app?.close();
  });

  const uploadsLeft = () => readdirSync(join(dataDir, 'tmp', 'uploads')).length;

  it('returns the nearest captions for an uploaded short video, and keeps no upload', async () => {
    const res = await request(url)
      .post('/search/text')
      .field('limit', '3')
      .attach('file', join(fixtures, 'popeye', 'popeye-p3.mkv'))
      .expect(200);
    expect(res.body.modelVersion).toBe('v1');
    expect(res.body.video).toMatchObject({ filename: 'popeye-p3.mkv', clips: expect.any(Number) });
    expect(res.body.video.durationS).toBeGreaterThan(55);
    expect(res.body.video.clips).toBe(Math.ceil(res.body.video.durationS / 4 - 0.25));
    expect(res.body.hits).toHaveLength(3);
    for (const h of res.body.hits) expect(h).toMatchObject({ caption: expect.any(String), clipId: expect.any(String) });
    const scores = res.body.hits.map((h: { score: number }) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const page2 = await request(url)
      .post('/search/text')
      .field('limit', '3')
      .field('offset', '3')
      .attach('file', join(fixtures, 'popeye', 'popeye-p3.mkv'))
      .expect(200);
    expect(page2.body.hits.map((h: { clipId: string }) => h.clipId)).not.toContain(res.body.hits[0].clipId);
    expect(uploadsLeft()).toBe(0);
  });

  it('refuses corrupt, non-video, too long, too big and ambiguous uploads with typed errors', async () => {
    const truncated = join(work, 'broken.mp4');
    writeTruncatedMp4(truncated);
    const text = join(work, 'notes.txt');
    writeFileSync(text, 'not a video at all\n');
    const long = join(work, 'long.mp4');
    testVideo(long, 125, '32x24', 1);
    const cases: [request.Test, number, string, RegExp][] = [
      [request(url).post('/search/text').attach('file', truncated), 400, 'invalid_input', /broken\.mp4/],
      [
        request(url).post('/search/text').attach('file', text),
        415,
        'unsupported_media',
        /notes\.txt is text, not a video/,
      ],
      [request(url).post('/search/text').attach('file', long), 400, 'invalid_input', /at most 120 s/],
      [
        request(url)
          .post('/search/text')
          .attach('file', join(fixtures, 'mediaelement', 'echo-hereweare.webm')),
        413,
        'payload_too_large',
        /over the 1000000-byte limit/,
      ],
      [
        request(url).post('/search/text').field('clipId', 'clip_x').attach('file', truncated),
        400,
        'invalid_input',
        /not both/,
      ],
      [request(url).post('/search/text').send({}), 400, 'invalid_input', /clipId/],
    ];
    for (const [req, status, code, message] of cases) {
      const res = await req;
      expect({ status: res.status, code: res.body.code, message: res.body.message }).toMatchObject({
        status,
        code,
        message: expect.stringMatching(message),
      });
      // the server's temporary path never reaches the client
      expect(JSON.stringify(res.body)).not.toContain(join(dataDir, 'tmp'));
    }
    expect(uploadsLeft()).toBe(0);
  });

  it('skips a video without subtitles with a reason, and drops a caption past the end of its video', async () => {
    expect(trainedSkipped).toEqual([
      { itemId: ids.nosubs, reason: expect.stringMatching(/no subtitles or transcript/) },
    ]);
    const late = await request(url).get(`/items/${ids.late}`).expect(200);
    const captions: string[] = late.body.clips.map((c: { caption: string | null }) => c.caption ?? '');
    expect(captions.join(' ')).toMatch(/gradient sweeps/);
    expect(captions.join(' ')).not.toMatch(/after the video has ended/);
    expect(late.body.clips.every((c: { end: number }) => c.end <= 20.01)).toBe(true);
    expect(JSON.stringify(late.body)).toMatch(/after the media ends/);
  });

  it('searches with the version whose vectors are served, refuses unknown versions and duplicate names', async () => {
    // v2 is newer but not embedded: queries must still be embedded by v1, whose vectors the aliases hold
    await app.get(TrainVttwinsUsecase).execute({ version: 'v2', steps: 2 });
    const res = await request(url).get('/search/video').query({ q: 'Popeye', limit: 2 }).expect(200);
    expect(res.body.modelVersion).toBe('v1');
    await expect(app.get(VttwinsModels).get('v9')).rejects.toBeInstanceOf(NotFoundError);
    await expect(app.get(TrainVttwinsUsecase).execute({ version: 'v1', steps: 1 })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(app.get(TrainVttwinsUsecase).execute({ version: 'v3', resume: true })).rejects.toThrow(
      /no interrupted run to resume/,
    );
  });

  it('an interrupted training run resumes to the same weights as an unbroken one', async () => {
    const train = app.get(TrainVttwinsUsecase);
    const straight = await train.execute({ version: 'straight', steps: 6, checkpointEvery: 2 });
    const cut = await train.execute({ version: 'cut', steps: 6, checkpointEvery: 2, stopAfter: 3 });
    expect(cut.finished).toBe(false);
    await expect(app.get(VttwinsModels).get('cut')).rejects.toBeInstanceOf(NotFoundError);
    // the resumed run takes its step budget and interval from the checkpoint, not the defaults
    const resumed = await train.execute({ version: 'cut', resume: true });
    expect(resumed).toMatchObject({ finished: true, resumedFrom: 3 });
    expect(resumed.card.metrics).toEqual(straight.card.metrics);
    const models = app.get(VttwinsModels);
    const [a, b] = [await models.get('straight'), await models.get('cut')];
    for (const name of a.store.names())
      expect(Array.from(b.store.get(name).dataSync())).toEqual(Array.from(a.store.get(name).dataSync()));
    // the job's retry mode: an unfinished run continues, a finished version comes back as it is
    expect(await train.execute({ version: 'straight', resume: 'auto' })).toMatchObject({
      version: 'straight',
      finished: true,
      card: { metrics: straight.card.metrics },
    });
    await train.execute({ version: 'job', steps: 4, stopAfter: 2 });
    expect(await train.execute({ version: 'job', resume: 'auto' })).toMatchObject({ finished: true, resumedFrom: 2 });
    expect(readdirSync(join(dataDir, 'models', 'vttwins')).filter((f) => f.includes('.resume'))).toEqual([]);
  });
});
