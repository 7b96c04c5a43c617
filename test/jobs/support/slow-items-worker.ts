// Child process for the crash-resume and shutdown tests: a real worker app over a real SQLite file.
import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { Injectable, Module } from '@nestjs/common';
import { loadConfig } from '@tessera/common';
import { type JobContext, OnJob } from '@tessera/jobs';
import { bootstrapWorker } from '../../../apps/worker/src/bootstrap-worker';

const [dataDir, logPath, graceMs] = process.argv.slice(2);

interface SlowItemsPayload {
  items: string[];
  delayMs: number;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    });
  });
}

@Injectable()
class SlowItemsProcessor {
  @OnJob('test.slow-items')
  async run(ctx: JobContext<SlowItemsPayload>): Promise<{ done: number }> {
    const done = new Set((ctx.checkpoint as { done?: string[] } | undefined)?.done ?? []);
    for (const [i, item] of ctx.payload.items.entries()) {
      if (done.has(item)) continue;
      appendFileSync(
        logPath,
        `${JSON.stringify({ item, pid: process.pid, attempt: ctx.attempt, resumed: ctx.resumed })}\n`,
      );
      done.add(item);
      await ctx.saveCheckpoint({ done: [...done] });
      await ctx.reportProgress(i + 1, ctx.payload.items.length, 'items');
      await pause(ctx.payload.delayMs, ctx.signal);
    }
    return { done: done.size };
  }
}

@Module({ providers: [SlowItemsProcessor] })
class SlowItemsModule {}

// REDIS_URL in the environment switches the worker to BullMQ, as in production.
const leaseMs = process.env.TESSERA_TEST_LEASE_MS ? Number(process.env.TESSERA_TEST_LEASE_MS) : undefined;
bootstrapWorker(loadConfig({ TESSERA_DATA_DIR: dataDir, LOG_LEVEL: 'warn', REDIS_URL: process.env.REDIS_URL }), {
  imports: [SlowItemsModule],
  platform: false,
  worker: { pollIntervalMs: 50, shutdownGraceMs: Number(graceMs ?? 10_000), leaseMs },
}).then(
  () => process.stdout.write('worker ready\n'),
  (err: unknown) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
