import type { INestApplication } from '@nestjs/common';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@tessera/common';
import { UserRepository } from '@tessera/db';
import { VectorStore } from '@tessera/vector-store';
import { needsSharedData } from '@tessera/testing';
import { startApi } from '../../apps/api/src/bootstrap';
import {
  coldStartCardEvaluation,
  EmbedCatalogueUsecase,
  evaluateColdStartDataset,
  evaluationProvenance,
  ColdStartModels,
  ImportDatasetUsecase,
  RecordModelEvaluationUsecase,
  TrainColdStartUsecase,
} from '../../apps/platform/src';
import { COLDSTART_ALIAS } from '../../apps/platform/src/coldstart/coldstart-jobs';
import { pointIdFor } from '../../apps/platform/src/coldstart/catalogue-point-id';
import { lexicalFromPayload } from '../../apps/platform/src/coldstart/lexical-search';

const ml = needsSharedData('movielens', 'ml-latest-small');

/** A small real slice: the first 40 users' ratings and the movies they rated. */
function writeSlice(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ratings = readFileSync(join(ml.path, 'ratings.csv'), 'utf8').trim().split('\n');
  const kept = ratings.slice(1).filter((l) => Number(l.split(',')[0]) <= 40);
  const movieIds = new Set(kept.map((l) => l.split(',')[1]));
  const movies = readFileSync(join(ml.path, 'movies.csv'), 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'ratings.csv'), [ratings[0], ...kept].join('\n'));
  writeFileSync(
    join(dir, 'movies.csv'),
    [movies[0], ...movies.slice(1).filter((l) => movieIds.has(l.split(',')[0]))].join('\n'),
  );
}

/** A model small enough to train in seconds: the endpoints are under test, not its quality. */
const TINY_CONFIG = {
  dModel: 16,
  numHeads: 2,
  epochs: 1,
  maxStepsPerEpoch: 4,
  batchSize: 64,
  negativesPerUser: 4,
  maxSampledItems: 32,
};

describe.skipIf(ml.skip)(`cold-start endpoints on a MovieLens slice${ml.reason}`, () => {
  let app: INestApplication;
  let url: string;
  let items: { id: string; title: string }[];
  let users: string[];
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-rec-'));
    writeSlice(join(dataDir, 'ml'));
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', TESSERA_DATA_DIR: dataDir });
    app = await startApi(config, { runWorker: false });
    url = await app.getUrl();
    await app.get(ImportDatasetUsecase).execute({ dataset: 'movielens', path: join(dataDir, 'ml') });
    await app.get(TrainColdStartUsecase).execute({
      source: 'movielens',
      version: 'tiny',
      config: TINY_CONFIG,
    });
    await app.get(EmbedCatalogueUsecase).execute({ version: 'tiny' });
    items = (await request(url).get('/items').query({ source: 'movielens', limit: 500 })).body.items;
    users = (await app.get(UserRepository).list({ source: 'movielens', limit: 5 })).map((u) => u.id);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves stored and fresh item embeddings with model id, version and dimension', async () => {
    const stored = await request(url).get(`/items/${items[0].id}/embedding`).expect(200);
    expect(stored.body).toMatchObject({
      modelId: 'tessera-coldstart-encoder',
      modelVersion: 'tiny',
      dim: 16,
      itemId: items[0].id,
    });
    expect(stored.body.vector).toHaveLength(16);
    const fresh = await request(url)
      .post('/embeddings')
      .send({ fields: { title: 'A brand new film', overview: 'Never seen before.' } })
      .expect(200);
    expect(fresh.body.embeddings[0].vector).toHaveLength(16);
    const again = await request(url).post('/embeddings').send({ itemId: items[0].id }).expect(200);
    // the same content through the same model gives the stored vector
    again.body.embeddings[0].vector.forEach((v: number, i: number) => expect(v).toBeCloseTo(stored.body.vector[i], 4));
    const batch = await request(url)
      .post('/embeddings')
      .send({ items: [{ fields: { title: 'one' } }, { itemId: items[1].id }] })
      .expect(200);
    expect(batch.body.embeddings).toHaveLength(2);
  });

  it('recommends unseen items to a known user with scores, paging and exclusions', async () => {
    const page1 = await request(url)
      .post('/recommendations')
      .send({ userId: users[0], candidates: 'all', limit: 5 })
      .expect(200);
    expect(page1.body.hits).toHaveLength(5);
    for (const h of page1.body.hits)
      expect(h).toMatchObject({ itemId: expect.any(String), score: expect.any(Number), source: 'user-embedding' });
    const scores = page1.body.hits.map((h: { score: number }) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const page2 = await request(url)
      .post('/recommendations')
      .send({ userId: users[0], candidates: 'all', limit: 5, offset: 5 })
      .expect(200);
    expect(page2.body.hits.map((h: { itemId: string }) => h.itemId)).not.toContain(page1.body.hits[0].itemId);
    const excluded = await request(url)
      .post('/recommendations')
      .send({ userId: users[0], candidates: 'all', limit: 5, exclude: [page1.body.hits[0].itemId] })
      .expect(200);
    expect(excluded.body.hits.map((h: { itemId: string }) => h.itemId)).not.toContain(page1.body.hits[0].itemId);
    const onlyNew = await request(url).post('/recommendations').send({ userId: users[0], limit: 50 }).expect(200);
    for (const h of onlyNew.body.hits) expect(h.cold).toBe(true);
  });

  it('recommends for a new user from liked items, and finds similar items and an audience', async () => {
    const session = await request(url)
      .post('/recommendations')
      .send({ liked: [items[0].id], disliked: [items[1].id], candidates: 'all', limit: 5 })
      .expect(200);
    expect(session.body.hits.map((h: { source: string }) => h.source)).toEqual(Array(5).fill('session-examples'));
    expect(session.body.hits.map((h: { itemId: string }) => h.itemId)).not.toContain(items[0].id);
    const similar = await request(url).get(`/items/${items[0].id}/similar`).query({ limit: 3 }).expect(200);
    expect(similar.body.hits).toHaveLength(3);
    const filtered = await request(url)
      .get(`/items/${items[0].id}/similar`)
      .query({ limit: 3, filter: JSON.stringify({ must: [{ key: 'title', match: { value: items[2].title } }] }) })
      .expect(200);
    // MovieLens has a few titles shared by two films, anywhere in the slice
    const every: { id: string; title: string }[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = (await request(url).get('/items').query({ source: 'movielens', limit: 500, offset })).body.items;
      every.push(...page);
      if (page.length < 500) break;
    }
    const sameTitle = every.filter((i) => i.title === items[2].title && i.id !== items[0].id).map((i) => i.id);
    expect(sameTitle.length).toBeLessThanOrEqual(3);
    expect(filtered.body.hits.map((h: { itemId: string }) => h.itemId).sort()).toEqual(sameTitle.sort());
    const audience = await request(url).get(`/items/${items[0].id}/audience`).query({ limit: 3 }).expect(200);
    expect(audience.body.users).toHaveLength(3);
    expect(audience.body.users[0].score).toBeGreaterThanOrEqual(audience.body.users[2].score);
  });

  it('records an evaluation in the model card of the served version and serves the card', async () => {
    // the eval's MovieLens layout: ml-latest-small/ (the slice, with links) beside tmdb-5000/
    const root = join(dataDir, 'eval-ml');
    mkdirSync(join(root, 'ml-latest-small'), { recursive: true });
    for (const f of ['ratings.csv', 'movies.csv'])
      copyFileSync(join(dataDir, 'ml', f), join(root, 'ml-latest-small', f));
    copyFileSync(join(ml.path, 'links.csv'), join(root, 'ml-latest-small', 'links.csv'));
    symlinkSync(join(ml.path, '..', 'tmdb-5000'), join(root, 'tmdb-5000'));
    const startedAt = new Date();
    const { report, settings } = await evaluateColdStartDataset({
      dataset: 'movielens',
      path: root,
      seeds: [1, 2],
      methods: ['random', 'content-tfidf'],
    });
    const entry = coldStartCardEvaluation(report, settings, {
      command: 'tessera eval coldstart --dataset movielens --seeds 1,2 --methods random,content-tfidf',
      startedAt,
      finishedAt: new Date(),
      provenance: evaluationProvenance(),
    });
    const recorded = await app.get(RecordModelEvaluationUsecase).execute({ model: 'coldstart', entries: [entry] });
    expect(recorded).toMatchObject({ recorded: true, version: 'tiny', chosen: 'served', datasets: ['movielens'] });

    const list = await request(url).get('/models/coldstart').expect(200);
    expect(list.body.models).toEqual([expect.objectContaining({ version: 'tiny', evaluated: ['movielens'] })]);
    const card = await request(url).get('/models/coldstart/tiny').expect(200);
    expect(card.body.card.metrics).toEqual(expect.objectContaining({ 'coldVal.recall@20': expect.any(Number) }));
    const evaluation = card.body.card.evaluations.movielens;
    expect(evaluation).toMatchObject({ seeds: [1, 2], options: { methods: ['random', 'content-tfidf'] } });
    for (const setting of ['cold', 'warm', 'all'])
      for (const method of ['random', 'content-tfidf'])
        expect(evaluation.results.table[setting][method]['recall@50']).toMatchObject({ n: 2 });
    const md = await request(url).get('/models/coldstart/latest/card.md').expect(200);
    expect(md.headers['content-type']).toMatch(/text\/markdown/);
    expect(md.text).toContain('### movielens');
    expect(md.text).toMatch(/\| content-tfidf \| \d\.\d{4} ± \d\.\d{4} \|/);
    expect(readFileSync(join(dataDir, 'models', 'coldstart', 'tiny', 'card.md'), 'utf8')).toBe(md.text);
    await request(url).get('/models/coldstart/v404').expect(404);
    await request(url).get('/models/imagenet/tiny').expect(404);
  });

  it('answers bad requests with clear 4xx errors', async () => {
    const cases: [request.Test, number, RegExp][] = [
      [request(url).post('/recommendations').send({}), 400, /userId, or liked/],
      [
        request(url).post('/recommendations').send({ userId: 'user_00000000000000000000000000000000' }),
        404,
        /not found/,
      ],
      [
        request(url)
          .post('/recommendations')
          .send({ liked: ['item_nope'] }),
        404,
        /item_nope/,
      ],
      [
        request(url)
          .post('/recommendations')
          .send({ liked: [items[0].id], modelVersion: 'v404' }),
        404,
        /"v404" does not exist/,
      ],
      [
        request(url)
          .post('/recommendations')
          .send({ liked: [items[0].id], limit: 'many' }),
        400,
        /limit/,
      ],
      [
        request(url)
          .post('/embeddings')
          .send({ fields: { image: 'x' } }),
        400,
        /not trained on "image"/,
      ],
      [
        request(url)
          .post('/embeddings')
          .send({ fields: { title: '   ' } }),
        400,
        /empty/,
      ],
      [request(url).get('/items/item_nope/similar'), 404, /item_nope/],
      [request(url).get(`/items/${items[0].id}/similar`).query({ filter: '{not json' }), 400, /filter/],
    ];
    for (const [req, status, message] of cases) {
      const res = await req;
      expect({ status: res.status, message: res.body.message }).toMatchObject({
        status,
        message: expect.stringMatching(message),
      });
    }
  });
  it('serves a history-tower model: warm users from the table, liked items through the tower', async () => {
    await app.get(TrainColdStartUsecase).execute({
      source: 'movielens',
      version: 'tower',
      config: { ...TINY_CONFIG, userTower: 'history', historySize: 4 },
    });
    await app.get(EmbedCatalogueUsecase).execute({ version: 'tower' });
    const card = await request(url).get('/models/coldstart/tower').expect(200);
    expect(card.body.card.config).toMatchObject({ userTower: 'history', historySize: 4 });
    const warm = await request(url)
      .post('/recommendations')
      .send({ userId: users[0], candidates: 'all', limit: 5 })
      .expect(200);
    expect(warm.body).toMatchObject({ modelVersion: 'tower' });
    expect(warm.body.hits.map((h: { source: string }) => h.source)).toEqual(Array(5).fill('user-embedding'));
    const liked = async (ids: string[]) =>
      (await request(url).post('/recommendations').send({ liked: ids, candidates: 'all', limit: 5 }).expect(200)).body
        .hits as { itemId: string; score: number; source: string }[];
    const a = await liked([items[0].id, items[1].id]);
    expect(a.map((h) => h.source)).toEqual(Array(5).fill('history-tower'));
    expect(a.map((h) => h.itemId)).not.toContain(items[0].id);
    expect([...a.map((h) => h.score)].sort((x, y) => y - x)).toEqual(a.map((h) => h.score));
    // the tower averages its history: the same items in another order give the same vector, hence the same list
    expect((await liked([items[1].id, items[0].id])).map((h) => h.itemId)).toEqual(a.map((h) => h.itemId));
    expect((await liked([items[5].id])).map((h) => h.score)).not.toEqual(a.map((h) => h.score));
  });

  it('serves a lexical model: the full score (dense + γ·lexical) from the vector store, for warm and new users', async () => {
    await app.get(TrainColdStartUsecase).execute({
      source: 'movielens',
      version: 'lexical',
      config: { ...TINY_CONFIG, userTower: 'history', historySize: 4, lexical: true },
    });
    await app.get(EmbedCatalogueUsecase).execute({ version: 'lexical' });
    const card = await request(url).get('/models/coldstart/lexical').expect(200);
    expect(card.body.card.config).toMatchObject({ lexical: true });
    expect(card.body.card.profilesSha256).toMatch(/^[0-9a-f]{64}$/);
    const warm = (
      await request(url).post('/recommendations').send({ userId: users[0], candidates: 'all', limit: 5 }).expect(200)
    ).body.hits as { itemId: string; score: number; source: string }[];
    expect(warm.map((h) => h.source)).toEqual(Array(5).fill('user-embedding+lexical'));
    expect([...warm.map((h) => h.score)].sort((x, y) => y - x)).toEqual(warm.map((h) => h.score));
    // The served score is the model's own score of that user and item, lexical part included.
    const loaded = await app.get(ColdStartModels).get('lexical');
    const [point] = await app.get(VectorStore).get(COLDSTART_ALIAS, [pointIdFor(warm[0].itemId)], {
      withVector: true,
      withPayload: true,
    });
    const lexical = lexicalFromPayload(point.payload);
    expect(lexical?.indices.length).toBeGreaterThan(0);
    const [dense] = await loaded.model.scoreUsers(
      [loaded.warmUsers.get(users[0])!],
      [Float32Array.from(point.vector as number[])],
    );
    const [full] = await loaded.model.scoreUsers(
      [loaded.warmUsers.get(users[0])!],
      [Float32Array.from(point.vector as number[])],
      [lexical!],
    );
    expect(full).not.toBeCloseTo(dense, 4);
    expect(warm[0].score).toBeCloseTo(full, 4);
    const liked = (
      await request(url)
        .post('/recommendations')
        .send({ liked: [items[0].id, items[1].id], candidates: 'all', limit: 5 })
        .expect(200)
    ).body.hits as { source: string }[];
    expect(liked.map((h) => h.source)).toEqual(Array(5).fill('history-tower+lexical'));
    const audience = await request(url).get(`/items/${warm[0].itemId}/audience`).query({ limit: 3 }).expect(200);
    expect(audience.body.users).toHaveLength(3);
  });
});
