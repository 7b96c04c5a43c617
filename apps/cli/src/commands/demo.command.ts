import { join } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { loadConfig, progressBar, projectRoot } from '@tessera/common';
import { startApi } from '../../../api/src/bootstrap';
import { IngestFolderUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

/**
 * The main job on a fresh machine: ingest the bundled public-domain and MIT sample clips,
 * then serve the API on embedded defaults until Ctrl-C.
 */
@Command({ name: 'demo', description: 'ingest the bundled samples and serve the API' })
export class DemoCommand extends CommandRunner {
  async run(_params: string[], options: { port?: number; serve?: boolean }): Promise<void> {
    const samples = ['popeye', 'mediaelement'].map((d) => join(projectRoot(), 'test/fixtures/video', d));
    await withPlatform(async (ctx) => {
      for (const folder of samples) {
        const report = await ctx
          .get(IngestFolderUsecase)
          .execute({ path: folder, progress: progressBar(`ingest ${folder.split('/').pop()}`) });
        for (const c of report.created)
          process.stdout.write(
            `  ingested ${c.relPath}: ${c.kind}${c.clips !== undefined ? `, ${c.clips} clips` : ''}\n`,
          );
        for (const u of report.unchanged) process.stdout.write(`  already in the catalogue: ${u.relPath}\n`);
        for (const f of report.failed) process.stdout.write(`  failed ${f.relPath}: ${f.error}\n`);
      }
    });
    if (options.serve === false) return;
    const env = { ...process.env };
    if (options.port !== undefined) env.PORT = String(options.port);
    const config = loadConfig(env);
    const app = await startApi(config, { runWorker: true });
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    process.stdout.write(
      [
        '',
        `Tessera demo serving on ${url}`,
        `  OpenAPI UI:   ${url}/docs`,
        `  items:        ${url}/items`,
        `  readiness:    ${url}/health/ready`,
        'Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await app.close();
  }

  @Option({ flags: '-p, --port <port>', description: 'port (overrides PORT)' })
  parsePort(value: string): number {
    return Number(value);
  }

  @Option({ flags: '--no-serve', description: 'stop after ingesting and training (for scripts and tests)' })
  parseServe(value: boolean): boolean {
    return value;
  }
}
