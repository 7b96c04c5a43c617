import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, loadConfig } from '@tessera/common';
import { QUICK_SYNTHETIC_EVAL, runSyntheticAlignmentEval } from '@tessera/models/vttwins';
import { initTensorBackend } from '@tessera/tensor';
import { evaluateColdStartDataset } from '../../../platform/src';

interface EvalOptions {
  dataset?: string;
  path?: string;
  seeds?: number[];
  methods?: string[];
  epochs?: number;
  json?: boolean;
}

/**
 * `eval coldstart`: the item cold-start protocol with every baseline beside the encoder.
 * `eval vttwins`: the synthetic alignment benchmark (S2DTW against soft-DTW, MIL-NCE, InfoNCE, random).
 * Reports are also written to `<data>/eval/`.
 */
@Command({
  name: 'eval',
  arguments: '<model>',
  description: 'evaluate: coldstart --dataset <movielens|citeulike|jester>, or vttwins',
})
export class EvalCommand extends CommandRunner {
  async run([model]: string[], options: EvalOptions): Promise<void> {
    const config = loadConfig();
    await initTensorBackend(config.tfBackend);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    let result: unknown;
    let text: string;
    if (model === 'coldstart') {
      if (!options.dataset) throw new InvalidInputError('--dataset is required: movielens, citeulike or jester');
      const { report, table } = await evaluateColdStartDataset({ ...options, dataset: options.dataset, onLog: log });
      result = report;
      text = table;
    } else if (model === 'vttwins') {
      const report = await runSyntheticAlignmentEval({
        ...QUICK_SYNTHETIC_EVAL,
        ...(options.seeds ? { seeds: options.seeds } : {}),
      });
      result = report;
      text = JSON.stringify(report, null, 2);
    } else throw new InvalidInputError(`unknown model "${model}"; known: coldstart, vttwins`);
    const dir = join(config.dataDir, 'eval');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${model}-${options.dataset ?? 'synthetic'}-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    process.stdout.write(
      options.json ? `${JSON.stringify(result, null, 2)}\n` : `${text}\n\nreport written to ${file}\n`,
    );
  }

  @Option({ flags: '--dataset <name>', description: 'coldstart: movielens, citeulike or jester' })
  parseDataset(v: string): string {
    return v;
  }

  @Option({ flags: '--path <dir>', description: 'dataset folder (default: ../shared/data beside the project)' })
  parsePath(v: string): string {
    return v;
  }

  @Option({ flags: '--seeds <list>', description: 'comma-separated seeds (default 1,2,3)' })
  parseSeeds(v: string): number[] {
    return v.split(',').map(Number);
  }

  @Option({
    flags: '--methods <list>',
    description: 'coldstart: comma-separated methods (default: every baseline + tessera-encoder)',
  })
  parseMethods(v: string): string[] {
    return v.split(',');
  }

  @Option({ flags: '--epochs <n>', description: 'coldstart: encoder epochs (default 6)' })
  parseEpochs(v: string): number {
    return Number(v);
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}
