import { Command, CommandRunner, Option } from 'nest-commander';
import { progressBar } from '@tessera/common';
import { DATASETS, ImportDatasetUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

interface ImportOptions {
  json?: boolean;
  tmdb?: string;
}

/** Import a public dataset (ratings, item texts, moment annotations) into the catalogue. */
@Command({
  name: 'import',
  arguments: '<dataset> <path>',
  description: `import a dataset: ${DATASETS.join(', ')}`,
})
export class ImportCommand extends CommandRunner {
  async run([dataset, path]: string[], options: ImportOptions): Promise<void> {
    const result = await withPlatform((ctx) =>
      ctx
        .get(ImportDatasetUsecase)
        .execute({ dataset, path, tmdbPath: options.tmdb, progress: progressBar(`import ${dataset}`) }),
    );
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const written = Object.entries(result.written).map(([k, v]) => `${k} ${v}`);
    const parsed = Object.entries(result.report.imported).map(([k, v]) => `${k} ${v}`);
    const lines = [
      `imported ${result.dataset}: ${written.join(', ')}`,
      `  parsed: ${parsed.join(', ')}`,
      `  skipped rows: ${result.report.skippedCount}`,
      ...result.report.skipped.slice(0, 20).map((s) => `    ${s.file}:${s.line}: ${s.reason}`),
    ];
    if (result.report.skippedCount > 20) lines.push(`    … ${result.report.skippedCount - 20} more (use --json)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  @Option({ flags: '--tmdb <csv>', description: 'MovieLens: TMDB 5000 movies CSV for plot overviews' })
  parseTmdb(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}
