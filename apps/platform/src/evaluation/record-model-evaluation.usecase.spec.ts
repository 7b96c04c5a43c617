import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError, type TesseraConfig } from '@tessera/common';
import type { ModelRecord, ModelRepository, ModelStatus } from '@tessera/db';
import type { ModelCardEvaluation } from '@tessera/eval';
import type { ColdStartModels } from '../coldstart/coldstart-models.service';
import { RecordModelEvaluationUsecase } from './record-model-evaluation.usecase';

const CS = 'tessera-coldstart-encoder';

function setup(versions: [string, ModelStatus][], served?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-record-'));
  const records: ModelRecord[] = versions.map(([version, status], i) => {
    const dir = join('models', 'coldstart', version);
    mkdirSync(join(dataDir, dir), { recursive: true });
    writeFileSync(join(dataDir, dir, 'card.json'), JSON.stringify({ modelId: CS, version }));
    const at = new Date(Date.UTC(2026, 0, 1 + i)).toISOString();
    return { modelId: CS, version, kind: 'coldstart', dir, dim: 8, card: {}, status, createdAt: at, updatedAt: at };
  });
  const updated: string[] = [];
  const repo = {
    find: async (_id: string, v: string) => records.find((r) => r.version === v),
    latest: async (_id: string, status: ModelStatus = 'ready') =>
      records.filter((r) => r.status === status).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0],
    updateCard: async (_id: string, v: string, card: Record<string, unknown>) => {
      updated.push(`${v}:${Object.keys(card.evaluations as object).join(',')}`);
      return records.find((r) => r.version === v)!;
    },
  } as unknown as ModelRepository;
  const coldstart = {
    servedCollection: async () => {
      if (!served) throw new ConflictError('no catalogue embedding is served yet');
      return { collection: `coldstart-${served}`, version: served, dim: 8 };
    },
  } as unknown as ColdStartModels;
  const usecase = new RecordModelEvaluationUsecase({ dataDir } as TesseraConfig, repo, coldstart);
  return { usecase, dataDir, updated };
}

const entry: ModelCardEvaluation = {
  dataset: 'movielens',
  command: 'tessera eval coldstart --dataset movielens',
  options: {},
  seeds: [1],
  evaluatedAt: '2026-11-25T20:00:00.000Z',
  backend: { name: 'wasm' },
  node: 'v22',
  protocol: 'p',
  tables: '| m |',
  results: {},
};

describe('which model card gets an evaluation', () => {
  it('the served version first, else the newest ready one; the folder card and the registry copy both', async () => {
    const { usecase, dataDir, updated } = setup(
      [
        ['v1', 'ready'],
        ['v2', 'ready'],
        ['v3', 'training'],
      ],
      'v1',
    );
    expect(await usecase.execute({ model: 'coldstart', entries: [entry] })).toMatchObject({
      recorded: true,
      version: 'v1',
      chosen: 'served',
    });
    expect(JSON.parse(readFileSync(join(dataDir, 'models/coldstart/v1/card.json'), 'utf8')).evaluations).toHaveProperty(
      'movielens',
    );
    expect(updated).toEqual(['v1:movielens']);
    const unserved = setup([
      ['v1', 'ready'],
      ['v2', 'ready'],
      ['v3', 'training'],
    ]);
    expect(await unserved.usecase.execute({ model: 'coldstart', entries: [entry] })).toMatchObject({
      version: 'v2',
      chosen: 'latest',
    });
  });

  it('a named version must exist and be ready; with no trained version nothing is written', async () => {
    const { usecase } = setup([
      ['v1', 'ready'],
      ['v3', 'training'],
    ]);
    await expect(usecase.resolve('coldstart', 'v9')).rejects.toThrow(/"v9" does not exist/);
    await expect(usecase.resolve('coldstart', 'v3')).rejects.toThrow(/is training, not ready/);
    expect(await usecase.execute({ model: 'coldstart', version: 'v1', entries: [entry] })).toMatchObject({
      chosen: 'named',
    });
    const empty = setup([]);
    expect(await empty.usecase.execute({ model: 'vttwins', entries: [entry] })).toEqual({
      recorded: false,
      reason: expect.stringMatching(/^no trained vttwins model in .*\(tessera train vttwins\)$/),
    });
  });
});
