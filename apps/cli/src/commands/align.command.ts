import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, progressBar } from '@tessera/common';
import {
  ALIGN_ALGORITHMS,
  AlignLmUsecase,
  LM_RUN_DEFAULTS,
  pickLmRunOptions,
  type LmRunOptions,
} from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';
import { toNumber } from './train-lm.runner';

interface AlignOptions extends Omit<LmRunOptions, 'splitSeed' | 'progress'> {
  reference?: string;
  data?: string;
  beta?: number;
  udm?: boolean;
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
        ...pickLmRunOptions(options),
        algorithm,
        reference: options.reference!,
        data: options.data,
        beta: options.beta,
        udm: options.udm,
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

  @Option({
    flags: '--epochs <n>',
    description: `passes over the training rows (default ${LM_RUN_DEFAULTS.align.epochs})`,
  })
  parseEpochs(v: string): number {
    return toNumber(v);
  }

  @Option({
    flags: '--batch-size <n>',
    description: `rows (dpo: pairs) per step (default ${LM_RUN_DEFAULTS.align.batchSize})`,
  })
  parseBatchSize(v: string): number {
    return toNumber(v);
  }

  @Option({
    flags: '--learning-rate <lr>',
    description: `Adam step size (default ${LM_RUN_DEFAULTS.align.learningRate.toExponential()})`,
  })
  parseLearningRate(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--beta <b>', description: `implicit-reward temperature β (default ${LM_RUN_DEFAULTS.align.beta})` })
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

  @Option({
    flags: '--held-out-rows <n>',
    description: `held-out rows evaluated at the end (default ${LM_RUN_DEFAULTS.heldOutRows})`,
  })
  parseHeldOutRows(v: string): number {
    return toNumber(v);
  }

  @Option({
    flags: '--checkpoint-every <n>',
    description: `checkpoint every n steps (default ${LM_RUN_DEFAULTS.checkpointEvery})`,
  })
  parseCheckpointEvery(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--seed <n>', description: `seed of the shuffles and sampling (default ${LM_RUN_DEFAULTS.seed})` })
  parseSeed(v: string): number {
    return toNumber(v);
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}
