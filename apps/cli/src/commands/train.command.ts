import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, progressBar } from '@tessera/common';
import {
  EmbedCatalogueUsecase,
  EmbedClipsUsecase,
  LM_RUN_DEFAULTS,
  TrainColdStartUsecase,
  TrainVttwinsUsecase,
} from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';
import { runTrainLm, toNumber, type TrainLmOptions } from './train-lm.runner';

interface TrainOptions extends TrainLmOptions {
  source?: string;
  version?: string;
  epochs?: number;
  userTower?: 'free' | 'history';
  lexical?: boolean;
  steps?: number;
  maxUsers?: number;
  embed?: boolean;
  json?: boolean;
  resume?: boolean;
}

const MODELS = ['coldstart', 'vttwins', 'lm'] as const;

/** Train a model on the catalogue, write it to the data folder with its card, and embed the catalogue. */
@Command({ name: 'train', arguments: '<model>', description: `train a model: ${MODELS.join(', ')}` })
export class TrainCommand extends CommandRunner {
  async run([model]: string[], options: TrainOptions): Promise<void> {
    if (!(MODELS as readonly string[]).includes(model))
      throw new InvalidInputError(`unknown model "${model}"; known: ${MODELS.join(', ')}`);
    if (model === 'vttwins') return this.trainVttwins(options);
    if (model === 'lm') return runTrainLm(options);
    if (!options.source) throw new InvalidInputError('--source is required (a catalogue source such as movielens)');
    const out = await withPlatform(async (ctx) => {
      const trained = await ctx.get(TrainColdStartUsecase).execute({
        source: options.source!,
        version: options.version,
        maxUsers: options.maxUsers,
        config: {
          ...(options.epochs ? { epochs: options.epochs } : {}),
          ...(options.userTower ? { userTower: options.userTower } : {}),
          ...(options.lexical ? { lexical: true } : {}),
        },
        progress: progressBar('train coldstart (steps)'),
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

  private async trainVttwins(options: TrainOptions): Promise<void> {
    const out = await withPlatform(async (ctx) => {
      const trained = await ctx.get(TrainVttwinsUsecase).execute({
        version: options.version,
        steps: options.steps,
        resume: options.resume,
        progress: progressBar('train vttwins (steps)'),
      });
      const embedded =
        options.embed === false
          ? undefined
          : await ctx
              .get(EmbedClipsUsecase)
              .execute({ version: trained.version, progress: progressBar('embed clips') });
      return {
        version: trained.version,
        dir: trained.dir,
        metrics: trained.card.metrics,
        resumedFrom: trained.resumedFrom,
        skipped: trained.skipped,
        embedded,
      };
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const lines = [`trained vttwins ${out.version} → ${out.dir}`, `  ${JSON.stringify(out.metrics)}`];
    if (out.resumedFrom) lines.push(`  resumed from step ${out.resumedFrom}`);
    for (const s of out.skipped) lines.push(`  skipped ${s.itemId}: ${s.reason}`);
    if (out.embedded) lines.push(`  embedded ${out.embedded.clips} clips of ${out.embedded.videos} videos`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  @Option({
    flags: '--resume',
    description: 'vttwins: continue the interrupted run of --version (or the newest one) from its last checkpoint',
  })
  parseResume(): boolean {
    return true;
  }

  @Option({ flags: '--steps <n>', description: 'vttwins: optimisation steps (default 60); lm: stop after n steps' })
  parseSteps(v: string): number {
    return Number(v);
  }

  @Option({
    flags: '--source <source>',
    description: 'catalogue source to learn from, e.g. movielens, citeulike, jester; lm: hh-rlhf, oasst2, topical-chat',
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

  @Option({
    flags: '--user-tower <kind>',
    description:
      'coldstart: free (a learned vector per user, default) or history (users from the content of their positives; better where content predicts taste, e.g. citeulike)',
  })
  parseUserTower(v: string): string {
    return v;
  }

  @Option({
    flags: '--lexical',
    description:
      'coldstart: add the learned sparse (lexical) score over content tokens beside the dense one (exact matches of rare tags; e.g. citeulike)',
  })
  parseLexical(): boolean {
    return true;
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

  @Option({ flags: '--path <file>', description: 'lm: the dialogue file (default: the staged copy in ../shared/data)' })
  parsePath(v: string): string {
    return v;
  }

  @Option({ flags: '--size <size>', description: 'lm: tiny, small (default) or base' })
  parseSize(v: string): string {
    return v;
  }

  @Option({ flags: '--tokenizer <kind>', description: 'lm: subword (trained on the data, default) or byte' })
  parseTokenizer(v: string): string {
    return v;
  }

  @Option({ flags: '--vocab-size <n>', description: 'lm: subword vocabulary size (default by --size)' })
  parseVocabSize(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--context <n>', description: 'lm: context window in tokens (default by --size)' })
  parseContext(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--batch-size <n>', description: `lm: rows per step (default ${LM_RUN_DEFAULTS.sft.batchSize})` })
  parseBatchSize(v: string): number {
    return toNumber(v);
  }

  @Option({
    flags: '--learning-rate <lr>',
    description: `lm: Adam step size (default ${LM_RUN_DEFAULTS.sft.learningRate.toExponential()})`,
  })
  parseLearningRate(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--max-rows <n>', description: 'lm: seeded cap on training rows, for quick runs' })
  parseMaxRows(v: string): number {
    return toNumber(v);
  }

  @Option({
    flags: '--held-out-rows <n>',
    description: `lm: held-out rows scored before and after (default ${LM_RUN_DEFAULTS.heldOutRows})`,
  })
  parseHeldOutRows(v: string): number {
    return toNumber(v);
  }

  @Option({
    flags: '--checkpoint-every <n>',
    description: `lm: checkpoint every n steps (default ${LM_RUN_DEFAULTS.checkpointEvery})`,
  })
  parseCheckpointEvery(v: string): number {
    return toNumber(v);
  }

  @Option({
    flags: '--seed <n>',
    description: `lm: seed of initialisation, tokenizer and shuffles (default ${LM_RUN_DEFAULTS.seed})`,
  })
  parseSeed(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}
