import type { INestApplication } from '@nestjs/common';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '@tessera/common';
import { writeTruncatedMp4 } from '@tessera/testing';
import { startApi } from '../../apps/api/src/bootstrap';

const fixtures = join(projectRoot(), 'test/fixtures/video');

async function waitForJob(url: string, id: string, seconds = 60): Promise<Record<string, unknown>> {
  for (let i = 0; i < seconds * 10; i++) {
    const res = await request(url).get(`/jobs/${id}`).expect(200);
    if (['succeeded', 'failed', 'cancelled'].includes(res.body.state)) return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

// The real app (API + in-process worker) on an ephemeral port, over a fresh data folder.
describe('items and ingest jobs over HTTP', () => {
  let app: INestApplication;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-items-'));
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      TESSERA_DATA_DIR: dataDir,
      TESSERA_MAX_UPLOAD_BYTES: String(4 * 1024 * 1024),
    });
    app = await startApi(config, { runWorker: true });
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('uploads a video with subtitles, processes it in a job, and serves clips, captions and thumbnails', async () => {
    const created = await request(url)
      .post('/items')
      .attach('file', join(fixtures, 'popeye/popeye-p3.mkv'))
      .attach('subtitles', join(fixtures, 'popeye/popeye-p3.eng.srt'))
      .field('title', 'Popeye part 3')
      .field('metadata', JSON.stringify({ licence: 'public domain' }))
      .expect(201);
    expect(created.body).toMatchObject({
      created: true,
      item: { kind: 'video', title: 'Popeye part 3' },
      job: { id: expect.any(String) },
    });

    const job = await waitForJob(url, created.body.job.id);
    expect(job).toMatchObject({ state: 'succeeded', progress: { done: 1, total: 1 } });

    const item = await request(url).get(`/items/${created.body.item.id}`).expect(200);
    expect(item.body.metadata).toMatchObject({ licence: 'public domain', ingest: { state: 'ready' } });
    expect(item.body.clips.length).toBeGreaterThan(3);
    expect(item.body.clips.filter((c: { caption: string | null }) => c.caption).length).toBeGreaterThan(2);
    expect(item.body.assets.map((a: { role: string }) => a.role)).toEqual(
      expect.arrayContaining(['original', 'subtitles', 'derived']),
    );
    const thumb = await request(url).get(item.body.clips[0].thumbnailUrl).expect(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    expect(thumb.body.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    // the same bytes again: the stored item comes back, nothing new is written or queued
    const again = await request(url).post('/items').attach('file', join(fixtures, 'popeye/popeye-p3.mkv')).expect(200);
    expect(again.body).toMatchObject({ created: false, item: { id: created.body.item.id }, job: null });
    const list = await request(url).get('/items').query({ kind: 'video' }).expect(200);
    expect(list.body.total).toBe(1);
  });

  it('stores a JSON text item', async () => {
    const res = await request(url)
      .post('/items')
      .send({ title: 'Spinach', text: 'Spinach  makes\u00a0sailors strong.' })
      .expect(201);
    const item = await request(url).get(`/items/${res.body.item.id}`).expect(200);
    expect(item.body.kind).toBe('text');
    expect(item.body.texts).toEqual([{ field: 'body', language: 'und', text: 'Spinach makes sailors strong.' }]);
  });

  it('answers bad uploads with typed 4xx errors and leaves the catalogue as it was', async () => {
    const before = (await request(url).get('/items').expect(200)).body.total;
    const empty = await request(url).post('/items').attach('file', Buffer.alloc(0), 'empty.mp4').expect(400);
    expect(empty.body).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/empty/) });
    const renamed = await request(url)
      .post('/items')
      .attach('file', Buffer.from('just words\n'), 'movie.mp4')
      .expect(415);
    expect(renamed.body.message).toMatch(/named like a video file but its content is text/);
    const binary = await request(url)
      .post('/items')
      .attach('file', Buffer.from([0, 1, 2, 3, 0, 0, 7, 8]), 'blob.bin')
      .expect(415);
    expect(binary.body.code).toBe('unsupported_media');
    const huge = await request(url)
      .post('/items')
      .attach('file', Buffer.alloc(5 * 1024 * 1024, 1), 'big.mp4')
      .expect(413);
    expect(huge.body.statusCode).toBe(413);
    await request(url).post('/items').send({}).expect(400);
    const wrongType = await request(url).post('/items').send({ text: 42 }).expect(400);
    expect(wrongType.body.message).toMatch(/text must be a string/);
    const badMeta = await request(url).post('/items').send({ text: 'x', metadata: 'not json' }).expect(400);
    expect(badMeta.body.message).toMatch(/metadata/);
    const badSubs = await request(url)
      .post('/items')
      .attach('file', join(fixtures, 'popeye/popeye-p4.mkv'))
      .attach('subtitles', Buffer.from('1\n00:00:01,000 --> garbage\nhello\n'), 'broken.srt')
      .expect(400);
    expect(badSubs.body.message).toMatch(/cue 1/);
    await request(url).get('/items/item_does_not_exist').expect(404);
    expect((await request(url).get('/items').expect(200)).body.total).toBe(before);
  });

  it('runs a folder ingest job with per-item errors and refuses paths outside the data folder', async () => {
    const folder = join(dataDir, 'incoming');
    mkdirSync(folder);
    cpSync(join(fixtures, 'mediaelement'), folder, { recursive: true });
    writeFileSync(join(folder, 'broken.srt'), 'not a subtitle file at all');
    writeTruncatedMp4(join(folder, 'truncated.mp4'));

    const res = await request(url).post('/ingest/jobs').send({ path: 'incoming' }).expect(202);
    const job = (await waitForJob(url, res.body.id)) as {
      state: string;
      items: { ref: string }[];
      result: { created: unknown[] };
    };
    expect(job.state).toBe('succeeded');
    expect(job.items.map((i) => i.ref)).toContain('truncated.mp4');
    expect(job.result.created.length).toBeGreaterThan(0);

    const escape = await request(url).post('/ingest/jobs').send({ path: '../../etc' }).expect(400);
    expect(escape.body.message).toMatch(/escapes/);
    await request(url).post('/ingest/jobs').send({ path: 'nope' }).expect(404);
    await request(url).post('/ingest/jobs').send({ path: 'incoming', dataset: 'imdb' }).expect(400);
    await request(url).get('/jobs/job_unknown').expect(404);
    const jobs = await request(url).get('/jobs').expect(200);
    expect(jobs.body.counts.succeeded).toBeGreaterThanOrEqual(2);
  });

  it('trains VT-TWINS on the ingested videos as a job submitted over HTTP, and refuses bad training requests', async () => {
    const bad = [
      [{ model: 'bert' }, 400],
      [{ model: 'coldstart' }, 400],
      [{ model: 'coldstart', source: 'nowhere' }, 404],
      [{ model: 'coldstart', source: '../etc' }, 400],
      [{ model: 'vttwins', version: '..' }, 400],
      [{ model: 'vttwins', epochs: 3 }, 400],
      [{ model: 'vttwins', steps: 'many' }, 400],
      [{ model: 'vttwins', lexical: true }, 400],
      [{ model: 'coldstart', source: 'nowhere', userTower: 'tall' }, 400],
    ] as const;
    for (const [body, status] of bad) await request(url).post('/training/jobs').send(body).expect(status);

    // VT-TWINS needs two captioned videos: add the Popeye clips beside the MediaElement one.
    cpSync(join(fixtures, 'popeye'), join(dataDir, 'popeye'), { recursive: true });
    const ingest = await request(url).post('/ingest/jobs').send({ path: 'popeye' }).expect(202);
    expect((await waitForJob(url, ingest.body.id, 300)).state).toBe('succeeded');

    const res = await request(url).post('/training/jobs').send({ model: 'vttwins', steps: 3, version: 'http-v1' });
    expect(res.status).toBe(202);
    const job = (await waitForJob(url, res.body.id, 300)) as { state: string; result: { version: string } };
    expect(job.state, JSON.stringify(job)).toBe('succeeded');
    expect(job.result.version).toBe('http-v1');
    const card = await request(url).get('/models/vttwins/http-v1').expect(200);
    expect(card.body.version).toBe('http-v1');
  });
});
