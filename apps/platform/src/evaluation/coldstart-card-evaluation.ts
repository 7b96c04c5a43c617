import type { ModelCardEvaluation } from '@tessera/eval';
import { formatColdStartTable, type ColdStartReport } from '@tessera/models/coldstart';
import type { ColdStartEvalSettings } from './evaluate-coldstart';
import type { EvaluationProvenance } from './evaluation-provenance';

export interface EvaluationRun {
  /** The command line as typed. */
  command: string;
  startedAt: Date;
  finishedAt: Date;
  /** The report file under the data folder, if one was written. */
  reportFile?: string;
  provenance: EvaluationProvenance;
}

/** A `tessera eval coldstart` report as the model-card entry of its dataset. */
export function coldStartCardEvaluation(
  report: ColdStartReport,
  settings: ColdStartEvalSettings,
  run: EvaluationRun,
): ModelCardEvaluation {
  return {
    dataset: settings.dataset,
    command: run.command,
    options: { ...settings },
    seeds: report.seeds,
    evaluatedAt: run.finishedAt.toISOString(),
    durationSeconds: (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
    ...run.provenance,
    protocol:
      `Item cold-start protocol of the spec on ${report.dataset} (${settings.path}): for each seed a fixed-seed 80/10/10 item split with ` +
      'every interaction of cold items removed from training. Every method (the baselines and the Tessera encoder with ' +
      'the configuration in `options.encoder`) is trained in this run on each seed’s split, so these numbers describe the ' +
      'method and configuration, not the weights of this folder. cold: rank only cold-test items; warm: rank warm items ' +
      'for held-out warm interactions; all: both. Cells are mean ± sample standard deviation (n − 1) over the seeds; ' +
      '"fit s" is the mean training time per seed.',
    tables: formatColdStartTable(report).trim(),
    results: { ks: report.ks, table: report.table },
    ...(run.reportFile ? { reportFile: run.reportFile } : {}),
  };
}
