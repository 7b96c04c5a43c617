import { Command, CommandRunner } from 'nest-commander';
import { withPlatform } from '../platform/with-platform';

/** Process queued jobs (ingest, import, train) until SIGINT/SIGTERM. */
@Command({ name: 'worker', description: 'run a job worker (embedded queue, or BullMQ when REDIS_URL is set)' })
export class WorkerCommand extends CommandRunner {
  async run(): Promise<void> {
    await withPlatform(
      async (_ctx, config) => {
        process.stdout.write(
          `Tessera worker running on ${config.redisUrl ? 'BullMQ (Redis)' : 'the embedded queue'}; Ctrl-C to stop\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      },
      { runWorker: true },
    );
  }
}
