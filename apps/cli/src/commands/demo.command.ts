import { join } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { loadConfig, progressBar, projectRoot } from '@tessera/common';
import { startApi } from '../../../api/src/bootstrap';
import { EmbedClipsUsecase, IngestFolderUsecase, TrainVttwinsUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

/**
 * The main job on a fresh machine: ingest the bundled public-domain and MIT sample clips, train a
 * small VT-TWINS model on them and embed their clips, then serve the API on embedded defaults.
 */
@Command({ name: 'demo', description: 'ingest the bundled samples, train a small VT-TWINS model, serve the API' })
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
      // a small VT-TWINS model over the sample clips and their subtitles, then their clips embedded for search
      const trained = await ctx
        .get(TrainVttwinsUsecase)
        .execute({ version: `demo-${Date.now()}`, steps: 40, progress: progressBar('train vttwins') });
      const embedded = await ctx.get(EmbedClipsUsecase).execute({ version: trained.version });
      process.stdout.write(
        `  trained VT-TWINS ${trained.version} (loss ${trained.card.metrics.firstLoss.toFixed(3)} → ${trained.card.metrics.lastLoss.toFixed(3)}), embedded ${embedded.clips} clips\n`,
      );
      process.stdout.write(
        '  cold-start encoder: import ratings first (tessera import movielens <dir>), then tessera train coldstart --source movielens\n',
      );
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
        `  search:       ${url}/search/video?q=sailor%20on%20a%20ship`,
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
