import { Command, CommandRunner, Option } from 'nest-commander';
import { loadConfig } from '@tessera/common';
import { startApi } from '../../../api/src/bootstrap';

interface ServeOptions {
  port?: number;
  host?: string;
  worker?: boolean;
}

/** Start the HTTP API on the configured backends and keep serving until SIGINT/SIGTERM. */
@Command({ name: 'serve', description: 'start the HTTP API (embedded defaults unless QDRANT_URL/REDIS_URL are set)' })
export class ServeCommand extends CommandRunner {
  async run(_params: string[], options: ServeOptions): Promise<void> {
    const env = { ...process.env };
    if (options.port !== undefined) env.PORT = String(options.port);
    if (options.host) env.HOST = options.host;
    const config = loadConfig(env);
    // one process serves and works by default; `--no-worker` leaves jobs to `tessera worker` processes
    const runWorker = options.worker !== false;
    const app = await startApi(config, { runWorker });
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    process.stdout.write(
      [
        `Tessera API listening on ${url}`,
        `  docs:    ${url}/docs`,
        `  health:  ${url}/health/ready`,
        `  metrics: ${url}/metrics`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await app.close();
  }

  @Option({ flags: '-p, --port <port>', description: 'port (overrides PORT)' })
  parsePort(value: string): number {
    return Number(value);
  }

  @Option({ flags: '--no-worker', description: 'only enqueue jobs; process them with `tessera worker`' })
  parseWorker(value: boolean): boolean {
    return value;
  }

  @Option({ flags: '--host <host>', description: 'interface to bind (overrides HOST)' })
  parseHost(value: string): string {
    return value;
  }
}
