import type { ModelCardEvaluation } from '@tessera/eval';
import type { SyntheticAlignmentRow, SyntheticMetrics } from '@tessera/models/vttwins';
import type { EvaluationRun } from '../evaluation/coldstart-card-evaluation';
import type { VttwinsEvalReport } from './evaluate-vttwins';

const SYNTHETIC_COLUMNS: [keyof SyntheticMetrics, string][] = [
  ['alignmentAccuracy', 'align acc %'],
  ['trueCellRecall', 'true-cell E %'],
  ['r1', 'R@1 %'],
  ['r5', 'R@5 %'],
  ['r10', 'R@10 %'],
  ['medianRank', 'MdR'],
];

/**
 * A `tessera eval vttwins` report as model-card entries, one per part that produced numbers: `synthetic`
 * (the alignment benchmark), `real-video` (leave-one-video-out retrieval; absent when it was skipped, so
 * an earlier run's numbers stay) and `moments` (QVHighlights/DiDeMo: what ran, or why it could not).
 */
export function vttwinsCardEvaluations(report: VttwinsEvalReport, run: EvaluationRun): ModelCardEvaluation[] {
  const common = {
    command: run.command,
    evaluatedAt: run.finishedAt.toISOString(),
    durationSeconds: (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
    ...run.provenance,
    ...(run.reportFile ? { reportFile: run.reportFile } : {}),
  };
  const entries: ModelCardEvaluation[] = [];
  const s = report.synthetic;
  if (s) {
    const options = report.syntheticOptions ?? {};
    entries.push({
      ...common,
      dataset: 'synthetic',
      options: { ...options },
      seeds: options.seeds ?? [],
      protocol:
        'Synthetic alignment benchmark with known ground truth: generated videos whose frames show distinct patterns ' +
        'in a known order, with captions shifted, partly irrelevant and partly missing. Every method is trained in this ' +
        `run per seed (${options.steps ?? '?'} steps); the numbers describe the method, not the weights of this folder. ` +
        `${s.queries} relevant captions per seed, galleries of ${s.galleryClips} clips. ` +
        'Cells are mean ± sample standard deviation (n − 1) over the seeds.',
      tables: syntheticTable(s.rows),
      results: { queries: s.queries, galleryClips: s.galleryClips, rows: s.rows },
    });
  }
  const r = report.real;
  if (r?.status === 'ran') {
    const seeds = (r.settings?.seeds as number[] | undefined) ?? [];
    entries.push({
      ...common,
      dataset: 'real-video',
      options: { ...(r.settings ?? {}), ...(r.dataRoot ? { dataRoot: r.dataRoot } : {}) },
      seeds,
      protocol:
        'Held-out real video, text → clip retrieval; the models are trained in this run per fold and seed. ' +
        'Cells are mean ± sample standard deviation (n − 1) over the seeds, in %.',
      tables: r.table ?? '',
      results: {
        summary: r.summary,
        seenSummary: r.seenSummary,
        chance: r.chance,
        folds: r.folds?.map((f) => ({ heldOut: f.heldOut, candidates: f.candidates, queries: f.queries })),
      },
    });
  }
  const m = report.moments;
  if (m) {
    entries.push({
      ...common,
      dataset: 'moments',
      options: {},
      seeds: [],
      protocol: `QVHighlights/DiDeMo moment retrieval (R1@IoU 0.5/0.7, mIoU): ${m.status}: ${m.reason}`,
      tables: m.sets.length
        ? [
            '| set | status | queries | videos | staged videos | result |',
            '|---|---|---|---|---|---|',
            ...m.sets.map(
              (x) =>
                `| ${x.name} | ${x.status} | ${x.queries} | ${x.videos} | ${x.stagedVideos} | ${
                  x.result
                    ? momentResult(x.result as unknown as Record<string, number>)
                    : x.reason.replace(/\|/g, '\\|')
                } |`,
            ),
          ].join('\n')
        : '',
      results: m,
    });
  }
  return entries;
}

function syntheticTable(rows: SyntheticAlignmentRow[]): string {
  const lines = [
    `| method | ${SYNTHETIC_COLUMNS.map(([, title]) => title).join(' | ')} | train s (all seeds) |`,
    `|---|${SYNTHETIC_COLUMNS.map(() => '---').join('|')}|---|`,
  ];
  for (const row of rows)
    lines.push(
      `| ${row.method} | ${SYNTHETIC_COLUMNS.map(([k]) => `${row.mean[k].toFixed(1)} ± ${row.std[k].toFixed(1)}`).join(' | ')} | ${row.trainSeconds.toFixed(1)} |`,
    );
  return lines.join('\n');
}

function momentResult(result: Record<string, number>): string {
  return Object.entries(result)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`)
    .join(', ');
}
