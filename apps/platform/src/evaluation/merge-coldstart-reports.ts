import { readFileSync } from 'node:fs';
import { CorruptDataError, InvalidInputError, NotFoundError } from '@tessera/common';
import {
  type ColdStartReport,
  type ColdStartRun,
  type EvalSetting,
  formatColdStartTable,
  summarizeColdStartRuns,
} from '@tessera/models/coldstart';
import type { ColdStartEvalSettings } from './evaluate-coldstart';
import type { EvaluationProvenance } from './evaluation-provenance';

/** What `tessera eval coldstart` writes to `<data>/eval/`: the report plus what produced it. */
export interface ColdStartReportFile extends ColdStartReport {
  settings: ColdStartEvalSettings;
  provenance: EvaluationProvenance;
}

/**
 * Joins report files of one dataset that ran apart (e.g. one process per seed, so seeds use both cores) into
 * one report over all their seeds. They must agree on everything but the seeds — dataset, methods, K, encoder
 * settings, modalities and the commit — and no seed may appear twice; otherwise the tables would mix runs of
 * different code or configuration.
 */
export function mergeColdStartReports(files: readonly string[]): {
  report: ColdStartReport;
  table: string;
  settings: ColdStartEvalSettings;
  provenance: EvaluationProvenance;
} {
  if (files.length < 2) throw new InvalidInputError('--merge needs at least two report files');
  const parts = files.map(readReportFile);
  const first = parts[0];
  const same = (what: string, pick: (r: ColdStartReportFile) => unknown) => {
    const want = JSON.stringify(pick(first));
    parts.forEach((r, i) => {
      if (JSON.stringify(pick(r)) !== want)
        throw new InvalidInputError(`${files[i]} differs from ${files[0]} in ${what}; only the seeds may differ`, {
          file: files[i],
          what,
        });
    });
  };
  same('dataset', (r) => r.settings.dataset);
  same('methods', (r) => r.settings.methods);
  same('K', (r) => r.settings.ks);
  same('encoder settings', (r) => r.settings.encoder);
  same('modalities', (r) => r.settings.modalities);
  same('git commit', (r) => [r.provenance.gitCommit ?? null, r.provenance.gitDirty ?? null]);
  same('backend', (r) => r.provenance.backend);
  const seeds = parts.flatMap((r) => r.seeds);
  const repeated = seeds.filter((s, i) => seeds.indexOf(s) !== i);
  if (repeated.length > 0) throw new InvalidInputError(`seed ${repeated[0]} appears in more than one report`);
  const runs: ColdStartRun[] = parts.flatMap((r) => r.runs);
  const report = summarizeColdStartRuns(first.dataset, runs, {
    ks: first.ks,
    settings: Object.keys(first.table) as EvalSetting[],
    methods: first.settings.methods,
  });
  return {
    report,
    table: formatColdStartTable(report),
    settings: { ...first.settings, seeds: [...report.seeds] },
    provenance: first.provenance,
  };
}

function readReportFile(file: string): ColdStartReportFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new NotFoundError(`report file ${file} cannot be read`, { file }, { cause: e });
  }
  let parsed: Partial<ColdStartReportFile>;
  try {
    parsed = JSON.parse(text) as Partial<ColdStartReportFile>;
  } catch (e) {
    throw new CorruptDataError(`report file ${file} is not valid JSON`, { file }, { cause: e });
  }
  if (!Array.isArray(parsed.runs) || !Array.isArray(parsed.seeds) || !parsed.table || !Array.isArray(parsed.ks))
    throw new InvalidInputError(`${file} is not a tessera eval coldstart report`, { file });
  if (!parsed.settings || !parsed.provenance)
    throw new InvalidInputError(
      `${file} records no settings or provenance (written before reports could be merged); run that seed again`,
      { file },
    );
  return parsed as ColdStartReportFile;
}
