import type { JobContext } from '@tessera/jobs';
import { describe, expect, it } from 'vitest';
import type { TrainColdStartPayload } from './coldstart-jobs';
import { ColdStartProcessors } from './coldstart.processors';
import type { EmbedCatalogueUsecase } from './embed-catalogue.usecase';
import type { TrainColdStartUsecase } from './train-coldstart.usecase';

/** The job hands its options to the training use case, then embeds the version it trained. */
describe('ColdStartProcessors.trainJob', () => {
  const run = async (payload: TrainColdStartPayload) => {
    const calls: { train?: Parameters<TrainColdStartUsecase['execute']>[0]; embed?: unknown } = {};
    const train = {
      execute: async (cmd: Parameters<TrainColdStartUsecase['execute']>[0]) => {
        calls.train = cmd;
        return { version: cmd.version, card: { metrics: { 'coldVal.recall@20': 0.5 } } };
      },
    } as unknown as TrainColdStartUsecase;
    const embed = { execute: async (cmd: unknown) => (calls.embed = cmd) } as unknown as EmbedCatalogueUsecase;
    const ctx = {
      jobId: 'job-000000000042',
      payload,
      reportProgress: async () => undefined,
    } as unknown as JobContext<TrainColdStartPayload>;
    const result = await new ColdStartProcessors(train, embed).trainJob(ctx);
    return { calls, result };
  };

  it('passes epochs, user tower and the lexical channel into the training config', async () => {
    const { calls, result } = await run({ source: 'citeulike', epochs: 3, userTower: 'history', lexical: true });
    expect(calls.train).toMatchObject({
      source: 'citeulike',
      version: 'job-000000000042',
      config: { epochs: 3, userTower: 'history', lexical: true },
    });
    expect(calls.embed).toEqual({ version: 'job-000000000042' });
    expect(result.version).toBe('job-000000000042');
  });

  it('leaves the defaults alone when no option is given', async () => {
    const { calls } = await run({ source: 'movielens', version: 'v2' });
    expect(calls.train).toMatchObject({ source: 'movielens', version: 'v2', config: {} });
  });
});
