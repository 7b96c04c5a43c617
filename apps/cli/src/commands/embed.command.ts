import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, progressBar } from '@tessera/common';
import { EmbedCatalogueUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

/** Re-embed the catalogue with a trained version and switch the served alias to it. */
@Command({ name: 'embed', arguments: '<model>', description: 'embed the catalogue with a model version (coldstart)' })
export class EmbedCommand extends CommandRunner {
  async run([model]: string[], options: { version?: string }): Promise<void> {
    if (model !== 'coldstart') throw new InvalidInputError(`unknown model "${model}"; known: coldstart`);
    const r = await withPlatform((ctx) =>
      ctx.get(EmbedCatalogueUsecase).execute({ version: options.version, progress: progressBar('embed') }),
    );
    process.stdout.write(
      `embedded ${r.points} items with coldstart ${r.version} (dim ${r.dim}) into ${r.collection}\n`,
    );
  }

  @Option({ flags: '--version <version>', description: 'model version (default: newest ready)' })
  parseVersion(v: string): string {
    return v;
  }
}
