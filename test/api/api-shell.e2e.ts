import type { INestApplication } from '@nestjs/common';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@tessera/common';
import { startApi } from '../../apps/api/src/bootstrap';

// The real HTTP server on an ephemeral port: guards, filters, body limits and probes as users meet them.
describe('API shell', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      TESSERA_API_KEYS: 'k1,k2',
      TESSERA_MAX_JSON_BYTES: '1024',
      TESSERA_RATE_LIMIT_PER_MINUTE: '1000',
      TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-api-')),
    });
    app = await startApi(config);
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers liveness without an API key', async () => {
    const res = await request(url).get('/health/live').expect(200);
    expect(res.body.status).toBe('ok');
  });

  it('reports readiness per component', async () => {
    const res = await request(url).get('/health/ready').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', components: expect.any(Object) });
  });

  it('refuses a request without an API key with a JSON 401', async () => {
    const res = await request(url).get('/metrics').expect(401);
    expect(res.body).toMatchObject({
      statusCode: 401,
      code: 'unauthorized',
      message: expect.stringMatching(/API key/),
    });
  });

  it('refuses a wrong API key', async () => {
    const res = await request(url).get('/metrics').set('x-api-key', 'nope').expect(401);
    expect(res.body.message).toBe('invalid API key');
  });

  it('serves Prometheus metrics with a key (header or bearer)', async () => {
    await request(url).get('/health/live');
    const res = await request(url).get('/metrics').set('authorization', 'Bearer k2').expect(200);
    expect(res.text).toContain('tessera_http_request_duration_seconds');
    expect(res.text).toContain('tessera_process_cpu_seconds_total');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(url).get('/no/such/route').set('x-api-key', 'k1').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'not_found' });
  });

  it('answers malformed JSON with a 400 and keeps serving', async () => {
    const res = await request(url)
      .post('/health/live')
      .set('x-api-key', 'k1')
      .set('content-type', 'application/json')
      .send('{"broken": ')
      .expect(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      code: 'invalid_input',
      message: expect.stringMatching(/not valid JSON/),
    });
    await request(url).get('/health/live').expect(200);
  });

  it('answers an oversized body with a 413', async () => {
    const res = await request(url)
      .post('/health/live')
      .set('x-api-key', 'k1')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ blob: 'x'.repeat(5000) }))
      .expect(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('echoes a safe request id and replaces a hostile one', async () => {
    const ok = await request(url).get('/health/live').set('x-request-id', 'abc-123');
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const hostile = await request(url).get('/health/live').set('x-request-id', 'a\tb"}{');
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(url).get('/docs/openapi.json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toContain('/health/ready');
  });
});

describe('API rate limit', () => {
  it('answers 429 past the per-minute limit', async () => {
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      TESSERA_RATE_LIMIT_PER_MINUTE: '3',
      TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-rate-')),
    });
    const app = await startApi(config);
    try {
      const url = await app.getUrl();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await request(url).get('/health/live')).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses[4]).toBe(429);
      const res = await request(url).get('/health/live');
      expect(res.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    } finally {
      await app.close();
    }
  });
});

describe('API start-up with damaged storage', () => {
  it('refuses a corrupt catalogue file and leaves it untouched', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-corrupt-'));
    const dbFile = join(dataDir, 'tessera.db');
    writeFileSync(dbFile, 'this is not a database, but it is somebody’s data');
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', TESSERA_DATA_DIR: dataDir });
    await expect(startApi(config)).rejects.toMatchObject({ code: 'corrupt_data' });
    expect(readFileSync(dbFile, 'utf8')).toBe('this is not a database, but it is somebody’s data');
  });

  it('refuses to start an empty catalogue beside stored files whose database is missing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-orphan-'));
    mkdirSync(join(dataDir, 'blobs', 'ab'), { recursive: true });
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', TESSERA_DATA_DIR: dataDir });
    await expect(startApi(config)).rejects.toMatchObject({
      code: 'corrupt_data',
      message: expect.stringMatching(/missing/),
    });
    expect(existsSync(join(dataDir, 'tessera.db'))).toBe(false);
  });
});
