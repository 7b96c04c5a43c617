import type { INestApplicationContext } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { loadConfig, progressBar, projectRoot, stagedDataDir } from '@tessera/common';
import { startApi } from '../../../api/src/bootstrap';
import {
  EmbedCatalogueUsecase,
  EmbedClipsUsecase,
  ImportDatasetUsecase,
  IngestFolderUsecase,
  TrainColdStartUsecase,
  TrainVttwinsUsecase,
} from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

/**
 * The main job on a fresh machine: ingest the bundled public-domain and MIT sample clips, train a
 * small VT-TWINS model on them and embed their clips, train a small cold-start encoder when the staged
 * MovieLens is beside the project, then serve the API on embedded defaults.
 */
@Command({
  name: 'demo',
  description:
    'ingest the bundled samples, train small VT-TWINS (and, with staged MovieLens, cold-start) models, serve the API',
})
export class DemoCommand extends CommandRunner {
  async run(_params: string[], options: { port?: number; serve?: boolean }): Promise<void> {
    let coldStart = false;
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
      coldStart = await this.trainColdStart(ctx);
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
        ...(coldStart ? [`  recommend:    POST ${url}/recommendations  {"liked": ["<item id from /items>"]}`] : []),
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

  /**
   * No ratings ship with the project (MovieLens's licence forbids redistribution), so the cold-start encoder is
   * trained only when the staged MovieLens is beside it: a small model (100 users, 2 epochs) and its catalogue.
   */
  private async trainColdStart(ctx: INestApplicationContext): Promise<boolean> {
    const ml = join(stagedDataDir(), 'movielens');
    const ratings = join(ml, 'ml-latest-small');
    if (!existsSync(join(ratings, 'ratings.csv'))) {
      process.stdout.write(
        `  cold-start encoder: no ratings at ${ratings}; import some (tessera import movielens <dir>), then tessera train coldstart --source movielens\n`,
      );
      return false;
    }
    const tmdb = join(ml, 'tmdb-5000', 'tmdb_5000_movies.csv');
    await ctx.get(ImportDatasetUsecase).execute({
      dataset: 'movielens',
      path: ratings,
      tmdbPath: existsSync(tmdb) ? tmdb : undefined,
      progress: progressBar('import movielens'),
    });
    const trained = await ctx.get(TrainColdStartUsecase).execute({
      source: 'movielens',
      version: `demo-${Date.now()}`,
      maxUsers: 100,
      config: { epochs: 2 },
      progress: progressBar('train coldstart (steps)'),
    });
    const embedded = await ctx
      .get(EmbedCatalogueUsecase)
      .execute({ version: trained.version, progress: progressBar('embed catalogue') });
    process.stdout.write(
      `  trained cold-start encoder ${trained.version} on MovieLens (100 users), embedded ${embedded.points} items\n`,
    );
    return true;
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
