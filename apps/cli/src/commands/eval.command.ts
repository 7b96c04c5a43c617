import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import {
  ALIGNMENT_EVAL_PRESETS,
  EVAL_ALGORITHMS,
  formatAlignmentTable,
  prepareHhEvaluationData,
  runAlignmentEvaluation,
  type EvalAlgorithm,
} from '@tessera/alignment/lm';
import { InvalidInputError, loadConfig, stagedDataDir } from '@tessera/common';
import { describeBackend, initTensorBackend } from '@tessera/tensor';
import type { ModelCardEvaluation } from '@tessera/eval';
import {
  coldStartCardEvaluation,
  evaluateColdStartDataset,
  evaluateVttwins,
  evaluationProvenance,
  mergeColdStartReports,
  RecordModelEvaluationUsecase,
  vttwinsCardEvaluations,
  type EvaluatedModel,
  type EvaluationRun,
  type RecordedEvaluation,
  type VttwinsEvalPart,
  VTTWINS_EVAL_PARTS,
} from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

interface EvalOptions {
  dataset?: string;
  path?: string;
  seeds?: number[];
  methods?: string[];
  epochs?: number;
  parts?: string[];
  json?: boolean;
  quick?: boolean;
  algorithms?: string[];
  steps?: number;
  sftSteps?: number;
  rmSteps?: number;
  prompts?: number;
  out?: string;
  model?: string;
  merge?: string[];
}

/**
 * `eval coldstart`: the item cold-start protocol with every baseline beside the encoder.
 * `eval vttwins`: the synthetic alignment benchmark (S2DTW against soft-DTW, MIL-NCE, InfoNCE, random).
 * `eval alignment`: SFT vs DPO/KTO/BCO/BCE/BCO+UDM on held-out HH-RLHF pairs, judged by a Bradley–Terry reward model.
 * Reports are also written to `<data>/eval/`; coldstart and vttwins results also go into the model card
 * (card.json and card.md) of the version they are about: `--model <version>`, else the served cold-start version,
 * else the newest ready one, one entry per dataset.
 */
@Command({
  name: 'eval',
  arguments: '<model>',
  description:
    'evaluate: coldstart --dataset <movielens|citeulike|jester>, vttwins (results into the model card), or alignment [--quick]',
})
export class EvalCommand extends CommandRunner {
  async run([model]: string[], options: EvalOptions): Promise<void> {
    const config = loadConfig();
    await initTensorBackend(config.tfBackend);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    let result: unknown;
    let text: string;
    let entries: (run: EvaluationRun) => ModelCardEvaluation[];
    if (model === 'alignment') return this.runAlignment(options, config.dataDir, log);
    if (model !== 'coldstart' && model !== 'vttwins')
      throw new InvalidInputError(`unknown model "${model}"; known: coldstart, vttwins, alignment`);
    if (model === 'coldstart' && !options.dataset)
      throw new InvalidInputError('--dataset is required: movielens, citeulike or jester');
    // a named --model must exist before minutes of evaluation are spent
    if (options.model) await withPlatform((ctx) => ctx.get(RecordModelEvaluationUsecase).resolve(model, options.model));
    const startedAt = new Date();
    let provenance = evaluationProvenance();
    if (model === 'coldstart' && options.merge) {
      const merged = mergeColdStartReports(options.merge);
      if (merged.settings.dataset !== options.dataset)
        throw new InvalidInputError(`the reports are of ${merged.settings.dataset}, not ${options.dataset}`);
      provenance = merged.provenance;
      result = { ...merged.report, settings: merged.settings, provenance, mergedFrom: options.merge };
      text = merged.table;
      entries = (run) => [coldStartCardEvaluation(merged.report, merged.settings, run)];
    } else if (model === 'coldstart') {
      const { report, table, settings } = await evaluateColdStartDataset({
        ...options,
        dataset: options.dataset!,
        onLog: log,
      });
      // Settings and provenance travel with the report so runs made apart can be merged (--merge).
      result = { ...report, settings, provenance };
      text = table;
      entries = (run) => [coldStartCardEvaluation(report, settings, run)];
    } else {
      const { report, table } = await evaluateVttwins({
        parts: options.parts as VttwinsEvalPart[] | undefined,
        seeds: options.seeds,
        methods: options.methods,
        steps: options.steps,
        dataRoot: options.path,
        onLog: log,
      });
      result = report;
      text = table;
      entries = (run) => vttwinsCardEvaluations(report, run);
    }
    const finishedAt = new Date();
    const dir = join(config.dataDir, 'eval');
    mkdirSync(dir, { recursive: true });
    const what = model === 'coldstart' ? options.dataset : (options.parts ?? VTTWINS_EVAL_PARTS).join('+');
    const file = join(dir, `${model}-${what}-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    const run: EvaluationRun = {
      command: commandLine(),
      startedAt,
      finishedAt,
      reportFile: relative(config.dataDir, file),
      provenance,
    };
    const modelCard = await this.recordInCard(model, options.model, entries(run), file, log);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ ...(result as object), modelCard }, null, 2)}\n`
        : `${text}\n\nreport written to ${file}\n${describeRecorded(modelCard, file)}\n`,
    );
  }

  /** The report into the model card of the version it is about (see RecordModelEvaluationUsecase). */
  private async recordInCard(
    model: EvaluatedModel,
    version: string | undefined,
    entries: ModelCardEvaluation[],
    file: string,
    log: (line: string) => void,
  ): Promise<RecordedEvaluation> {
    log(`report written to ${file}; recording it in the ${model} model card…`);
    return withPlatform((ctx) => ctx.get(RecordModelEvaluationUsecase).execute({ model, version, entries }));
  }

  /** Writes `<out>.json` (report), `<out>.md` (model card with the table) and `<out>.jsonl` (rows as they finish). */
  private async runAlignment(options: EvalOptions, dataDir: string, log: (line: string) => void): Promise<void> {
    const preset = options.quick ? 'quick' : 'full';
    const base = ALIGNMENT_EVAL_PRESETS[preset];
    const sizes = {
      ...base,
      ...(options.steps ? { preferenceSteps: options.steps } : {}),
      ...(options.sftSteps ? { sftSteps: options.sftSteps } : {}),
      ...(options.rmSteps ? { rewardModelSteps: options.rmSteps } : {}),
      ...(options.prompts ? { judgePrompts: options.prompts } : {}),
    };
    const algorithms = (options.algorithms ?? [...EVAL_ALGORITHMS]) as EvalAlgorithm[];
    const unknown = algorithms.filter((a) => !EVAL_ALGORITHMS.includes(a));
    if (unknown.length)
      throw new InvalidInputError(`unknown algorithm ${unknown.join(', ')}; known: ${EVAL_ALGORITHMS.join(', ')}`);
    const seeds = options.seeds ?? [1, 2, 3];
    if (seeds.some((x) => !Number.isInteger(x))) throw new InvalidInputError('--seeds must be integers');
    const path = options.path ?? join(stagedDataDir(), 'alignment', 'hh-rlhf', 'harmless-base-test.jsonl.gz');
    const outBase = options.out
      ? resolve(options.out).replace(/\.json$/, '')
      : join(dataDir, 'eval', `alignment-${preset}-${Date.now()}`);
    mkdirSync(dirname(outBase), { recursive: true });
    const startedAt = new Date().toISOString();
    const load = loadavg()[0];
    log(`eval alignment (${preset}): loading ${path}`);
    const data = await prepareHhEvaluationData(path, {
      maxPairs: sizes.maxPairs,
      heldOutPairs: sizes.heldOutPairs,
      vocabSize: sizes.vocabSize,
    });
    log(`eval alignment: ${data.description}; tokenizer ${data.tokenizer.vocabSize} tokens`);
    const report = await runAlignmentEvaluation({
      train: data.train,
      heldOut: data.heldOut,
      tokenizer: data.tokenizer,
      sizes,
      algorithms,
      seeds,
      onLog: log,
      onRow: (row) => appendFileSync(`${outBase}.jsonl`, `${JSON.stringify(row)}\n`),
    });
    const result = {
      kind: 'alignment-evaluation',
      preset,
      startedAt,
      finishedAt: new Date().toISOString(),
      data: data.description,
      backend: describeBackend().backend,
      node: process.version,
      cpus: cpus().length,
      loadAverageAtStart: load,
      sizes,
      algorithms,
      seeds,
      ...report,
    };
    const table = formatAlignmentTable(report);
    writeFileSync(`${outBase}.json`, JSON.stringify(result, null, 2));
    writeFileSync(
      `${outBase}.md`,
      [
        `# Alignment evaluation (${preset})`,
        '',
        `${result.data}. Backend ${result.backend}, Node ${result.node}, ${result.cpus} CPUs, load ${load.toFixed(2)} at start; ` +
          `${startedAt} → ${result.finishedAt} (${report.seconds.toFixed(0)} s). Seeds ${seeds.join(', ')}.`,
        '',
        table,
        '',
        'Implicit-reward accuracy: share of held-out pairs with β(log π_θ − log π_ref) higher on the chosen completion ' +
          '(ties are misses, so SFT = 0). Win rate: the judge prefers the model’s sample to the same-seed SFT sample on a ' +
          'held-out prompt (ties ½; plain sampling at temperature 1, shared random numbers). Sampled KL: mean of ' +
          'log π_θ(y|x) − log π_ref(y|x) over the model’s own samples. Drift: mean over held-out chosen completions of ' +
          'Σ_t (log π_θ − log π_ref) / n_tokens.',
        '',
        `Sizes: \`${JSON.stringify(sizes)}\``,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      options.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `${table}\n\nreport written to ${outBase}.json (model card ${outBase}.md)\n`,
    );
  }

  @Option({ flags: '--dataset <name>', description: 'coldstart: movielens, citeulike or jester' })
  parseDataset(v: string): string {
    return v;
  }

  @Option({
    flags: '--path <dir>',
    description: 'dataset folder (alignment: the HH-RLHF .jsonl.gz file; default: ../shared/data beside the project)',
  })
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

  @Option({
    flags: '--merge <files>',
    description:
      'coldstart: no training; join comma-separated report files of the same dataset, code and settings run apart (e.g. one seed per process) into one report and card entry',
  })
  parseMerge(v: string): string[] {
    return v.split(',').filter(Boolean);
  }

  @Option({ flags: '--epochs <n>', description: 'coldstart: encoder epochs (default 6)' })
  parseEpochs(v: string): number {
    return Number(v);
  }

  @Option({ flags: '--quick', description: 'alignment: tiny sizes that finish in a few minutes (pipeline check)' })
  parseQuick(): boolean {
    return true;
  }

  @Option({
    flags: '--algorithms <list>',
    description: 'alignment: comma-separated from dpo,kto,bco,bce,bco-udm (default all)',
  })
  parseAlgorithms(v: string): string[] {
    return v.split(',').filter(Boolean);
  }

  @Option({ flags: '--steps <n>', description: 'alignment: preference steps per algorithm (overrides the preset)' })
  parseSteps(v: string): number {
    return positiveInt(v, '--steps');
  }

  @Option({ flags: '--sft-steps <n>', description: 'alignment: SFT steps (overrides the preset)' })
  parseSftSteps(v: string): number {
    return positiveInt(v, '--sft-steps');
  }

  @Option({ flags: '--rm-steps <n>', description: 'alignment: reward-model steps (overrides the preset)' })
  parseRmSteps(v: string): number {
    return positiveInt(v, '--rm-steps');
  }

  @Option({ flags: '--prompts <n>', description: 'alignment: held-out prompts sampled for the win rate' })
  parsePrompts(v: string): number {
    return positiveInt(v, '--prompts');
  }

  @Option({ flags: '--out <file>', description: 'alignment: report path (.json; .md and .jsonl beside it)' })
  parseOut(v: string): string {
    return v;
  }

  @Option({
    flags: '--parts <list>',
    description:
      'vttwins: synthetic,real,moments (default all); real: leave-one-video-out on the Popeye clips, --steps training steps (default 80), --methods random,mil-nce,soft-dtw,s2dtw',
  })
  parseParts(v: string): string[] {
    return v.split(',');
  }

  @Option({
    flags: '--model <version>',
    description:
      'coldstart, vttwins: the model version whose card gets the results (default: the served cold-start version, else the newest ready one)',
  })
  parseModel(v: string): string {
    return v;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}

/** The command as typed, quoted where needed, for the model card. */
function commandLine(): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['tessera', ...process.argv.slice(2).map(quote)].join(' ');
}

function describeRecorded(r: RecordedEvaluation, file: string): string {
  if (!r.recorded) return `not recorded in a model card: ${r.reason}; the report stays in ${file}`;
  const why = { named: 'named with --model', served: 'the served version', latest: 'the newest ready version' }[
    r.chosen
  ];
  return `recorded in the model card of ${r.modelId} ${r.version} (${why}): ${r.card} (${r.datasets.join(', ')}), rendered as ${r.markdown}`;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`${flag} must be a positive integer, got "${v}"`);
  return n;
}
