import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@tessera/common';
import { loadLmCheckpoint } from '@tessera/alignment/lm';
import { TrainingDivergedError } from '@tessera/alignment/preference';
import { ModelRepository } from '@tessera/db';
import { JobQueue } from '@tessera/jobs';
import { needsSharedData } from '@tessera/testing';
import { startApi } from '../../apps/api/src/bootstrap';
import {
  ALIGN_LM_JOB,
  AlignLmUsecase,
  LM_MODEL_ID,
  LmModels,
  loadSftRows,
  loadThumbs,
  TRAIN_LM_JOB,
  TrainLmUsecase,
  type TrainLmCommand,
} from '../../apps/platform/src';

/** A small HH-RLHF-format corpus written by the test, so the HTTP parts always run. */
function tinyHhCorpus(): string {
  const topics = ['tea', 'rain', 'cats', 'maps', 'bread', 'snow', 'boats', 'clocks', 'bees', 'lamps', 'kites', 'ink'];
  const lines: string[] = [];
  topics.forEach((t, i) => {
    for (const q of ['Tell me about', 'What do you know about']) {
      const prompt = `\n\nHuman: ${q} ${t}.\n\nAssistant:`;
      lines.push(
        JSON.stringify({
          chosen: `${prompt} Happy to help: ${t} is a fine topic, number ${i}.`,
          rejected: `${prompt} No. Go away.`,
        }),
      );
    }
  });
  return `${lines.join('\n')}\n`;
}

const TINY: Omit<TrainLmCommand, 'version'> = {
  source: 'hh-rlhf',
  size: 'tiny',
  tokenizer: 'byte',
  model: { contextLength: 48 },
  steps: 4,
  epochs: 2,
  batchSize: 8,
  learningRate: 3e-3,
  checkpointEvery: 2,
};

describe('language models: SFT and DPO versions, /lm/generate and /lm/score over HTTP', () => {
  let app: INestApplication;
  let url: string;
  let corpus: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-lm-'));
    corpus = join(dataDir, 'tiny-hh.jsonl');
    writeFileSync(corpus, tinyHhCorpus());
    app = await startApi(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', TESSERA_DATA_DIR: dataDir }), {
      runWorker: true,
    });
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('before any training, latest is a 404 that says how to train one', async () => {
    const res = await request(url).post('/lm/generate').send({ prompt: 'hi' }).expect(404);
    expect(res.body).toMatchObject({ code: 'not_found', message: expect.stringMatching(/tessera train lm/) });
  });

  it('trains a tiny SFT version whose card states data, config, metrics and backend', async () => {
    const out = await app.get(TrainLmUsecase).execute({ ...TINY, path: corpus, version: 'tiny-sft' });
    expect(out.card).toMatchObject({
      modelId: LM_MODEL_ID,
      version: 'tiny-sft',
      kind: 'sft',
      dataset: { source: 'hh-rlhf', trainRows: 19, heldOutRows: 2 },
      model: { contextLength: 48, dModel: 32, nLayers: 1 },
      tokenizer: { kind: 'byte' },
      backend: expect.any(String),
    });
    expect(out.card.metrics.steps).toBe(4);
    expect(out.card.metrics.heldOutLossAfter).toBeLessThan(out.card.metrics.heldOutLossBefore);
    const record = await app.get(ModelRepository).get(LM_MODEL_ID, 'tiny-sft');
    expect(record).toMatchObject({ status: 'ready', dir: 'models/lm/tiny-sft', kind: 'lm' });
    const card = JSON.parse(await readFile(join(dataDir, 'models/lm/tiny-sft/card.json'), 'utf8'));
    expect(card.metrics).toEqual(out.card.metrics);
    await expect(app.get(TrainLmUsecase).execute({ ...TINY, path: corpus, version: 'tiny-sft' })).rejects.toThrow(
      /already exists/,
    );
  });

  it('generates deterministically for a seed, with stop strings and a finish reason', async () => {
    const body = { prompt: '\n\nHuman: Tell me about tea.\n\nAssistant:', maxTokens: 6, temperature: 0.8, seed: 3 };
    const a = await request(url).post('/lm/generate').send(body).expect(200);
    const b = await request(url)
      .post('/lm/generate')
      .send({ ...body, model: 'tiny-sft' })
      .expect(200);
    expect(a.body).toMatchObject({
      model: 'tiny-sft',
      warnings: [],
      usage: { completionTokens: a.body.tokens.length },
    });
    expect(b.body.text).toBe(a.body.text);
    expect(['eos', 'stop', 'length']).toContain(a.body.finishReason);
    expect(a.body.tokens.length).toBeLessThanOrEqual(6);
    const greedy = await request(url)
      .post('/lm/generate')
      .send({ ...body, temperature: 0, topK: 5, topP: 0.9, stop: [' '] })
      .expect(200);
    expect(greedy.body.text).not.toContain(' ');
  });

  it('cuts a prompt longer than the context window and says so', async () => {
    const res = await request(url)
      .post('/lm/generate')
      .send({ prompt: 'Human: '.repeat(40), maxTokens: 4, temperature: 0 })
      .expect(200);
    expect(res.body.warnings).toEqual([expect.stringMatching(/280 tokens but the context window is 48/)]);
    expect(res.body.usage.promptTokens).toBe(48 - 1 - 4);
  });

  it('scores continuations with exact summed and per-token log-probs', async () => {
    const prompt = '\n\nHuman: Tell me about rain.\n\nAssistant:';
    const res = await request(url)
      .post('/lm/score')
      .send({ prompt, continuations: [' Happy to help.', ' No.'] })
      .expect(200);
    expect(res.body.model).toBe('tiny-sft');
    expect(res.body.results).toHaveLength(2);
    const { model } = await app.get(LmModels).get('tiny-sft');
    const direct = await model.completionLogProbs([
      { prompt, completion: ' Happy to help.' },
      { prompt, completion: ' No.' },
    ]);
    res.body.results.forEach(
      (r: { logProb: number; tokens: { logProb: number; eos?: boolean; text: string }[] }, i: number) => {
        expect(r.logProb).toBeCloseTo(direct[i], 4);
        expect(r.tokens.reduce((s, t) => s + t.logProb, 0)).toBeCloseTo(r.logProb, 4);
        expect(r.tokens.at(-1)).toMatchObject({ eos: true, text: '' });
        expect(r.logProb).toBeLessThan(0);
      },
    );
    expect(res.body.results[1].tokens.map((t: { text: string }) => t.text).join('')).toBe(' No.');
    const one = await request(url).post('/lm/score').send({ prompt, continuation: ' No.' }).expect(200);
    expect(one.body.results[0].logProb).toBeCloseTo(res.body.results[1].logProb, 5);
  });

  it('answers bad input with typed 4xx errors', async () => {
    const cases: [request.Test, number, RegExp][] = [
      [request(url).post('/lm/generate').send({ prompt: '   ' }), 400, /prompt is empty/],
      [request(url).post('/lm/generate').send({ prompt: 'hi', model: 'nope' }), 404, /"nope" does not exist/],
      [request(url).post('/lm/generate').send({ prompt: 'hi', model: '../x' }), 400, /invalid model version/],
      [request(url).post('/lm/generate').send({ prompt: 'hi', maxTokens: 'many' }), 400, /maxTokens/],
      [request(url).post('/lm/generate').send({ prompt: 'hi', topP: 0 }), 400, /topP/],
      [request(url).post('/lm/generate').send({ prompt: 'hi', colour: 'red' }), 400, /colour/],
      [request(url).post('/lm/generate').send({}), 400, /prompt must be a string/],
      [
        request(url).post('/lm/generate').set('content-type', 'application/json').send('{"prompt": '),
        400,
        /not valid JSON/,
      ],
      [request(url).post('/lm/score').send({ prompt: '', continuation: 'x' }), 400, /prompt is empty/],
      [request(url).post('/lm/score').send({ prompt: 'hi' }), 400, /exactly one of/],
      [
        request(url)
          .post('/lm/score')
          .send({ prompt: 'hi', continuation: 'a', continuations: ['b'] }),
        400,
        /exactly one/,
      ],
      [
        request(url)
          .post('/lm/score')
          .send({ prompt: 'hi', continuations: ['a', ''] }),
        400,
        /continuation 1 is empty/,
      ],
      [request(url).post('/lm/score').send({ prompt: 'hi', continuation: 'a', model: 'gone' }), 404, /gone/],
    ];
    for (const [req, status, message] of cases) {
      const res = await req;
      expect({ status: res.status, message: res.body.message }).toEqual({
        status,
        message: expect.stringMatching(message),
      });
      expect(res.body.code).toEqual(status === 404 ? 'not_found' : 'invalid_input');
    }
  });

  it('align dpo from the SFT version writes a version whose card names its reference', async () => {
    const out = await app.get(AlignLmUsecase).execute({
      algorithm: 'dpo',
      reference: 'tiny-sft',
      path: corpus,
      version: 'tiny-dpo',
      steps: 2,
      batchSize: 4,
      learningRate: 1e-3,
    });
    expect(out.card).toMatchObject({
      kind: 'dpo',
      reference: 'tiny-sft',
      dataset: { source: 'hh-rlhf', form: 'pairs', trainRows: 19 },
      training: { algorithm: 'dpo', beta: 0.1, referenceVersion: 'tiny-sft', referenceKind: 'sft' },
    });
    expect(out.card.metrics).toMatchObject({ steps: 2, heldOutPairAccuracy: expect.any(Number) });
    expect((await app.get(ModelRepository).get(LM_MODEL_ID, 'tiny-dpo')).status).toBe('ready');
    const listed = await request(url).get('/lm/models').expect(200);
    expect(listed.body.models.map((m: { version: string }) => m.version)).toEqual(['tiny-dpo', 'tiny-sft']);
    const card = await request(url).get('/lm/models/tiny-dpo').expect(200);
    expect(card.body).toMatchObject({
      status: 'ready',
      kind: 'dpo',
      reference: 'tiny-sft',
      card: { backend: expect.any(String) },
    });
    await request(url).get('/lm/models/nope').expect(404);
    // the newest ready version is now the aligned one
    const res = await request(url).post('/lm/generate').send({ prompt: 'Human: hi', maxTokens: 3 }).expect(200);
    expect(res.body.model).toBe('tiny-dpo');
    await expect(
      app.get(AlignLmUsecase).execute({ algorithm: 'dpo', reference: 'no-such-sft', path: corpus }),
    ).rejects.toThrow(/no-such-sft/);
  });

  it('runs SFT and KTO as jobs (train.lm, align.lm) with progress and the version in the result', async () => {
    const jobs = app.get(JobQueue);
    const done = async (id: string) => {
      await vi.waitFor(async () => expect((await jobs.get(id))?.state).toMatch(/succeeded|failed/), {
        timeout: 30_000,
        interval: 50,
      });
      return (await jobs.get(id))!;
    };
    const sft = await done((await jobs.enqueue(TRAIN_LM_JOB, { ...TINY, path: corpus, version: 'job-sft' })).id);
    expect(sft).toMatchObject({ state: 'succeeded', result: { version: 'job-sft' }, progress: { done: 4, total: 4 } });
    const kto = await done(
      (
        await jobs.enqueue(ALIGN_LM_JOB, {
          algorithm: 'kto',
          reference: 'job-sft',
          data: 'hh-rlhf',
          path: corpus,
          steps: 2,
        })
      ).id,
    );
    expect(kto).toMatchObject({ state: 'succeeded', result: { reference: 'job-sft' } });
    const version = (kto.result as { version: string }).version;
    expect(version).toMatch(/^kto-job-/);
    expect((await app.get(ModelRepository).get(LM_MODEL_ID, version)).card).toMatchObject({ kind: 'kto' });
    const diverged = await done(
      (
        await jobs.enqueue(TRAIN_LM_JOB, {
          ...TINY,
          path: corpus,
          version: 'job-nan',
          learningRate: 1e30,
          checkpointEvery: 1,
        })
      ).id,
    );
    expect(diverged).toMatchObject({ state: 'failed', attempts: 1 });
    expect(diverged.errors.at(-1)?.message).toMatch(/non-finite.*not retried/);
  });

  it('a diverging run stops with a clear error, keeps the last good checkpoint, and resumes', async () => {
    const train = app.get(TrainLmUsecase);
    const err = await train
      .execute({ ...TINY, path: corpus, version: 'tiny-nan', learningRate: 1e30, steps: 6, checkpointEvery: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    const details = (err as TrainingDivergedError).details as { lastGoodStep: number; lastGoodCheckpoint: string };
    expect((err as Error).message).toMatch(/non-finite.*last good checkpoint \(step \d\) is kept/);
    expect((await app.get(ModelRepository).get(LM_MODEL_ID, 'tiny-nan')).status).toBe('failed');
    const kept = await loadLmCheckpoint(details.lastGoodCheckpoint);
    expect((kept.state as { step: number }).step).toBe(details.lastGoodStep);
    kept.model.dispose();
    const resumed = await train.execute({ ...TINY, path: corpus, version: 'tiny-nan', steps: 6, learningRate: 1e-3 });
    expect(resumed.resumedFromStep).toBe(details.lastGoodStep);
    // Only checkpoints written after an update carry Adam's moments (the step-0 one, kept here, has none).
    expect(resumed.resumedOptimizer).toBe(details.lastGoodStep > 0);
    expect(resumed.card.metrics.steps).toBe(6);
    expect((await app.get(ModelRepository).get(LM_MODEL_ID, 'tiny-nan')).status).toBe('ready');
  });
});

const hh = needsSharedData('alignment');
describe.skipIf(hh.skip)(`language models on the staged dialogue data${hh.reason}`, () => {
  it('reads SFT rows and thumbs from all three sources, split with the same seed', async () => {
    for (const source of ['hh-rlhf', 'oasst2', 'topical-chat'] as const) {
      const rows = await loadSftRows(source, { splitSeed: 13 });
      expect(rows.train.length).toBeGreaterThan(100);
      expect(rows.heldOut.length).toBeGreaterThan(10);
      expect(rows.train[0].prompt).toMatch(/Assistant:$/);
    }
    const thumbs = await loadThumbs('oasst2', { splitSeed: 13 });
    expect(new Set(thumbs.train.map((t) => t.label))).toEqual(new Set([true, false]));
  });

  it('a tiny SFT run on a slice of HH-RLHF lowers the held-out loss', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-lm-real-'));
    const app = await startApi(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', TESSERA_DATA_DIR: dataDir }), {
      runWorker: false,
    });
    try {
      const out = await app.get(TrainLmUsecase).execute({
        ...TINY,
        version: 'hh-slice',
        model: { contextLength: 64 },
        maxRows: 64,
        heldOutRows: 16,
        steps: 6,
      });
      expect(out.card.dataset).toMatchObject({ source: 'hh-rlhf', trainRows: 64, heldOutRows: 16 });
      expect(out.card.metrics.heldOutLossAfter).toBeLessThan(out.card.metrics.heldOutLossBefore);
    } finally {
      await app.close();
    }
  });
});
