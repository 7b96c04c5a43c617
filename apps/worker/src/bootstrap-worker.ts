import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { TesseraConfig } from '@tessera/common';
import { WorkerModule, type WorkerModuleOptions } from './worker.module';

export interface BootstrapWorkerOptions extends WorkerModuleOptions {
  /** Close gracefully on SIGTERM/SIGINT and exit 0 (default true). */
  handleSignals?: boolean;
}

/**
 * Start the worker: open the catalogue (a corrupt one stops here), discover the
 * processors (two handlers for a name stop here), start taking jobs. On SIGTERM
 * the current job gets the grace period to finish, else it is handed back to the
 * queue and resumes from its checkpoint on the next start.
 */
export async function bootstrapWorker(
  config: TesseraConfig,
  options: BootstrapWorkerOptions = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, options), {
    bufferLogs: true,
    // Let the caller see the typed error (CorruptDataError, ConfigError) instead of Nest exiting the process.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  await app.init();
  if (options.handleSignals ?? true) {
    let closing = false;
    const shutdown = (signal: NodeJS.Signals) => {
      if (closing) return;
      closing = true;
      app.get(Logger).log({ msg: 'worker shutting down', signal });
      app.close().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(
            `tessera worker: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`,
          );
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  }
  return app;
}
