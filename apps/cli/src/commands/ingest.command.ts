import { resolve } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { progressBar } from '@tessera/common';
import { IngestFolderUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

/** Ingest a folder of videos (with sidecar subtitles), images and text files into the catalogue. */
@Command({ name: 'ingest', arguments: '<path>', description: 'ingest a folder of video, image and text files' })
export class IngestCommand extends CommandRunner {
  async run([path]: string[], options: { json?: boolean }): Promise<void> {
    const report = await withPlatform((ctx) =>
      ctx.get(IngestFolderUsecase).execute({ path: resolve(path), progress: progressBar('ingest') }),
    );
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [
        `created ${report.created.length}, unchanged ${report.unchanged.length}, failed ${report.failed.length}, skipped ${report.skipped.length}`,
        ...report.created.map(
          (c) => `  + ${c.relPath} → ${c.itemId} (${c.kind}${c.clips !== undefined ? `, ${c.clips} clips` : ''})`,
        ),
        ...report.failed.map((f) => `  ! ${f.relPath}: ${f.error}`),
        ...report.skipped.map((s) => `  - ${s.relPath}: ${s.reason}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (report.failed.length > 0) process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}
