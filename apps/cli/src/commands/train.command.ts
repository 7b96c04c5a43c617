import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, progressBar } from '@tessera/common';
import { EmbedCatalogueUsecase, TrainColdStartUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

interface TrainOptions {
  source?: string;
  version?: string;
  epochs?: number;
  maxUsers?: number;
  embed?: boolean;
  json?: boolean;
}

const MODELS = ['coldstart'] as const;

/** Train a model on the catalogue, write it to the data folder with its card, and embed the catalogue. */
@Command({ name: 'train', arguments: '<model>', description: `train a model: ${MODELS.join(', ')}` })
export class TrainCommand extends CommandRunner {
  async run([model]: string[], options: TrainOptions): Promise<void> {
    if (model !== 'coldstart') throw new InvalidInputError(`unknown model "${model}"; known: ${MODELS.join(', ')}`);
    if (!options.source) throw new InvalidInputError('--source is required (a catalogue source such as movielens)');
    const out = await withPlatform(async (ctx) => {
      const trained = await ctx.get(TrainColdStartUsecase).execute({
        source: options.source!,
        version: options.version,
        maxUsers: options.maxUsers,
        config: options.epochs ? { epochs: options.epochs } : undefined,
        progress: progressBar('train coldstart (epochs)'),
      });
      const embedded =
        options.embed === false
          ? undefined
          : await ctx
              .get(EmbedCatalogueUsecase)
              .execute({ version: trained.version, progress: progressBar('embed catalogue') });
      return {
        version: trained.version,
        dir: trained.dir,
        metrics: trained.card.metrics,
        training: trained.card.training,
        embedded,
      };
    });
    process.stdout.write(
      options.json
        ? `${JSON.stringify(out, null, 2)}\n`
        : `trained coldstart ${out.version} → ${out.dir}\n  ${JSON.stringify(out.metrics)}\n${out.embedded ? `  embedded ${out.embedded.points} items into ${out.embedded.collection}\n` : ''}`,
    );
  }

  @Option({
    flags: '--source <source>',
    description: 'catalogue source to learn from, e.g. movielens, citeulike, jester',
  })
  parseSource(v: string): string {
    return v;
  }

  @Option({
    flags: '--version <version>',
    description: 'model version name (default: a timestamp); an unfinished version resumes',
  })
  parseVersion(v: string): string {
    return v;
  }

  @Option({ flags: '--epochs <n>', description: 'training epochs (default from the model config)' })
  parseEpochs(v: string): number {
    return Number(v);
  }

  @Option({ flags: '--max-users <n>', description: 'seeded cap on training users, for quick runs' })
  parseMaxUsers(v: string): number {
    return Number(v);
  }

  @Option({ flags: '--no-embed', description: 'do not embed the catalogue after training' })
  parseEmbed(v: boolean): boolean {
    return v;
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}
