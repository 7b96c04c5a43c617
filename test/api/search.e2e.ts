import type { INestApplication } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '@tessera/common';
import { startApi } from '../../apps/api/src/bootstrap';
import { EmbedClipsUsecase, IngestFolderUsecase, TrainVttwinsUsecase } from '../../apps/platform/src';

// The bundled clips ingested, a tiny VT-TWINS trained on them, search over real HTTP.
describe('video-text search', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-search-')),
    });
    app = await startApi(config, { runWorker: false });
    url = await app.getUrl();
    for (const d of ['popeye', 'mediaelement'])
      await app.get(IngestFolderUsecase).execute({ path: join(projectRoot(), 'test/fixtures/video', d) });
    const trained = await app.get(TrainVttwinsUsecase).execute({ version: 'tiny', steps: 15 });
    expect(trained.card.metrics.lastLoss).toBeLessThan(trained.card.metrics.firstLoss);
    await app.get(EmbedClipsUsecase).execute({ version: 'tiny' });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('returns ranked segments with times, captions and thumbnails, with paging and filters', async () => {
    const res = await request(url).get('/search/video').query({ q: 'a ship at sea', limit: 5 }).expect(200);
    expect(res.body.modelVersion).toBe('tiny');
    expect(res.body.hits).toHaveLength(5);
    for (const h of res.body.hits) {
      expect(h).toMatchObject({
        itemId: expect.any(String),
        clipId: expect.any(String),
        start: expect.any(Number),
        end: expect.any(Number),
        score: expect.any(Number),
      });
      expect(h.end).toBeGreaterThan(h.start);
    }
    const scores = res.body.hits.map((h: { score: number }) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const thumb = await request(url).get(res.body.hits[0].thumbnailUrl).expect(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    const next = await request(url).get('/search/video').query({ q: 'a ship at sea', limit: 5, offset: 5 }).expect(200);
    expect(next.body.hits.map((h: { clipId: string }) => h.clipId)).not.toContain(res.body.hits[0].clipId);
    const one = res.body.hits[0];
    const filtered = await request(url)
      .get('/search/video')
      .query({
        q: 'a ship at sea',
        filter: JSON.stringify({ must: [{ key: 'itemId', match: { value: one.itemId } }] }),
      })
      .expect(200);
    expect(new Set(filtered.body.hits.map((h: { itemId: string }) => h.itemId))).toEqual(new Set([one.itemId]));
  });

  it('returns the nearest captions for a clip', async () => {
    const hit = (await request(url).get('/search/video').query({ q: 'Popeye', limit: 1 })).body.hits[0];
    const res = await request(url).post('/search/text').send({ clipId: hit.clipId, limit: 3 }).expect(200);
    expect(res.body.hits).toHaveLength(3);
    expect(res.body.hits[0].caption).toEqual(expect.any(String));
  });

  it('refuses empty, unknown-script and malformed searches', async () => {
    const cases: [request.Test, number, RegExp][] = [
      [request(url).get('/search/video').query({ q: '   ' }), 400, /empty/],
      [request(url).get('/search/video').query({ q: 'ქართული ენა' }), 400, /shares no words/],
      [request(url).get('/search/video'), 400, /q must be a string/],
      [request(url).post('/search/text').send({ clipId: 'clip_nope' }), 404, /clip_nope/],
      [request(url).get('/search/video').query({ q: 'ship', limit: 0 }), 400, /limit/],
    ];
    for (const [req, status, message] of cases) {
      const res = await req;
      expect({ status: res.status, message: res.body.message }).toMatchObject({
        status,
        message: expect.stringMatching(message),
      });
    }
  });
});
