import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, progressBar } from '@tessera/common';
import { ALIGN_ALGORITHMS, AlignLmUsecase } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';
import { toNumber } from './train-lm.runner';

interface AlignOptions {
  reference?: string;
  data?: string;
  path?: string;
  version?: string;
  steps?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  beta?: number;
  udm?: boolean;
  maxRows?: number;
  heldOutRows?: number;
  checkpointEvery?: number;
  seed?: number;
  json?: boolean;
}

/** `tessera align dpo|kto|bco --reference <sft version>`: preference training into a new LM version. */
@Command({
  name: 'align',
  arguments: '<algorithm>',
  description: `preference-train a language model from an SFT version: ${ALIGN_ALGORITHMS.join(', ')}`,
})
export class AlignCommand extends CommandRunner {
  async run([algorithm]: string[], options: AlignOptions): Promise<void> {
    if (!(ALIGN_ALGORITHMS as readonly string[]).includes(algorithm))
      throw new InvalidInputError(`unknown algorithm "${algorithm}"; known: ${ALIGN_ALGORITHMS.join(', ')}`);
    if (!options.reference)
      throw new InvalidInputError('--reference is required: the SFT version (tessera train lm) to start from');
    const out = await withPlatform((ctx) =>
      ctx.get(AlignLmUsecase).execute({
        algorithm,
        reference: options.reference!,
        data: options.data,
        path: options.path,
        version: options.version,
        steps: options.steps,
        epochs: options.epochs,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        beta: options.beta,
        udm: options.udm,
        maxRows: options.maxRows,
        heldOutRows: options.heldOutRows,
        checkpointEvery: options.checkpointEvery,
        seed: options.seed,
        progress: progressBar(`align ${algorithm} (steps)`),
      }),
    );
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ version: out.version, dir: out.dir, card: out.card }, null, 2)}\n`);
      return;
    }
    const lines = [
      `aligned lm ${out.version} (${algorithm} from reference ${out.card.reference}) → ${out.dir}`,
      `  ${out.card.data}`,
      `  ${JSON.stringify(out.card.metrics)}`,
    ];
    for (const w of out.card.warnings ?? []) lines.push(`  warning: ${w}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }

  @Option({ flags: '--reference <version>', description: 'SFT version: frozen reference and starting policy' })
  parseReference(v: string): string {
    return v;
  }

  @Option({
    flags: '--data <source>',
    description:
      'dpo: hh-rlhf (default) or oasst2 pairs; kto/bco: oasst2 (default), hh-rlhf (unpaired) or topical-chat thumbs',
  })
  parseData(v: string): string {
    return v;
  }

  @Option({ flags: '--path <file>', description: 'the data file (default: the staged copy in ../shared/data)' })
  parsePath(v: string): string {
    return v;
  }

  @Option({ flags: '--version <version>', description: 'name of the new version (default: <algorithm>-<time>)' })
  parseVersion(v: string): string {
    return v;
  }

  @Option({ flags: '--steps <n>', description: 'stop after this many optimiser steps' })
  parseSteps(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--epochs <n>', description: 'passes over the training rows (default 1)' })
  parseEpochs(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--batch-size <n>', description: 'rows (dpo: pairs) per step (default 16)' })
  parseBatchSize(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--learning-rate <lr>', description: 'Adam step size (default 1e-4)' })
  parseLearningRate(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--beta <b>', description: 'implicit-reward temperature β (default 0.1)' })
  parseBeta(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--udm', description: 'bco: weight rows by the prompt density ratio (UDM)' })
  parseUdm(): boolean {
    return true;
  }

  @Option({ flags: '--max-rows <n>', description: 'seeded cap on training rows, for quick runs' })
  parseMaxRows(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--held-out-rows <n>', description: 'held-out rows evaluated at the end (default 128)' })
  parseHeldOutRows(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--checkpoint-every <n>', description: 'checkpoint every n steps (default 50)' })
  parseCheckpointEvery(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--seed <n>', description: 'seed of the shuffles and sampling (default 1)' })
  parseSeed(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}
