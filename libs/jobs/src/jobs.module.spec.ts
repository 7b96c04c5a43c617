import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConflictError, InvalidInputError, loadConfig, TesseraConfigModule } from '@tessera/common';
import { Catalogue, DatabaseModule, openCatalogue } from '@tessera/db';
import { JobQueue } from './job-queue.port';
import { JobWorker } from './job-worker.port';
import type { JobContext } from './job.types';
import { JobsModule } from './jobs.module';
import { OnJob } from './on-job.decorator';

@Injectable()
class GreetProcessor {
  readonly greeted: string[] = [];

  @OnJob('demo.greet')
  async greet(ctx: JobContext<{ name: string }>): Promise<string> {
    this.greeted.push(ctx.payload.name);
    await ctx.reportProgress(1, 1, 'greet');
    return `hello ${ctx.payload.name}`;
  }
}

@Injectable()
class RivalProcessor {
  @OnJob('demo.greet')
  other(): string {
    return 'rival';
  }
}

describe('JobsModule', () => {
  let catalogue: Catalogue;
  const config = loadConfig({ TESSERA_DATA_DIR: '/tmp/tessera-jobs-module-spec' });

  beforeEach(async () => {
    catalogue = await openCatalogue(':memory:');
  });
  afterEach(async () => {
    await catalogue.close();
  });

  it('discovers @OnJob processors, runs them in the worker and refuses unknown names', async () => {
    @Module({ providers: [GreetProcessor] })
    class ProcessorsModule {}
    const ref = await Test.createTestingModule({
      imports: [
        TesseraConfigModule.forRoot(config),
        DatabaseModule.forCatalogue(catalogue, config.dataDir),
        JobsModule.forRoot({ runWorker: true, worker: { pollIntervalMs: 20 } }),
        ProcessorsModule,
      ],
    }).compile();
    const app = ref.createNestApplication();
    await app.init();
    try {
      const queue = app.get(JobQueue);
      expect(queue.backend).toBe('embedded');
      expect(app.get(JobWorker).running).toBe(true);
      const { id } = await queue.enqueue('demo.greet', { name: 'Ada' });
      await vi.waitFor(async () => expect((await queue.get(id))?.state).toBe('succeeded'), {
        timeout: 5000,
        interval: 10,
      });
      expect((await queue.get(id))?.result).toBe('hello Ada');
      expect(app.get(GreetProcessor).greeted).toEqual(['Ada']);
      await expect(queue.enqueue('demo.nobody', {})).rejects.toBeInstanceOf(InvalidInputError);
    } finally {
      await app.close();
    }
    expect(catalogue.isClosed).toBe(false); // forCatalogue leaves ownership with the caller
  });

  it('fails the boot when two providers handle the same job name', async () => {
    const ref = await Test.createTestingModule({
      imports: [
        TesseraConfigModule.forRoot(config),
        DatabaseModule.forCatalogue(catalogue, config.dataDir),
        JobsModule.forRoot(),
      ],
      providers: [GreetProcessor, RivalProcessor],
    }).compile();
    const app = ref.createNestApplication();
    const err = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(
      /job "demo.greet" has two handlers: (GreetProcessor.greet and RivalProcessor.other|RivalProcessor.other and GreetProcessor.greet)/,
    );
  });
});
