import { InvalidInputError } from '@tessera/common';
import {
  QUICK_SYNTHETIC_EVAL,
  runSyntheticAlignmentEval,
  type SyntheticAlignmentEvalOptions,
} from '@tessera/models/vttwins';
import { describeMomentEvaluation, type MomentEvalReport } from './evaluate-vttwins-moments';
import {
  evaluateVttwinsRealVideo,
  trainOnRealVideos,
  REAL_EVAL_METHODS,
  type RealEvalMethod,
  type RealVideoEvalReport,
} from './evaluate-vttwins-real';

export const VTTWINS_EVAL_PARTS = ['synthetic', 'real', 'moments'] as const;
export type VttwinsEvalPart = (typeof VTTWINS_EVAL_PARTS)[number];

export interface VttwinsEvalOptions {
  /** Which sections to run (default all). */
  parts?: VttwinsEvalPart[];
  seeds?: number[];
  /** Real video: methods (default random, mil-nce, soft-dtw, s2dtw). */
  methods?: string[];
  /** Real video: Adam steps per trained model. */
  steps?: number;
  /** Folder with `video/` (default ../shared/data beside the project). */
  dataRoot?: string;
  onLog?: (line: string) => void;
}

export interface VttwinsEvalReport {
  kind: 'vttwins-evaluation';
  startedAt: string;
  synthetic?: Awaited<ReturnType<typeof runSyntheticAlignmentEval>>;
  /** What the synthetic benchmark ran with. */
  syntheticOptions?: SyntheticAlignmentEvalOptions;
  real?: RealVideoEvalReport;
  moments?: MomentEvalReport;
}

/**
 * `tessera eval vttwins`: the synthetic alignment benchmark, leave-one-video-out text → clip retrieval
 * on real subtitled video, and the status of the QVHighlights/DiDeMo moment sets, in one report.
 */
export async function evaluateVttwins(
  opts: VttwinsEvalOptions = {},
): Promise<{ report: VttwinsEvalReport; table: string }> {
  const parts = opts.parts ?? [...VTTWINS_EVAL_PARTS];
  const bad = parts.filter((p) => !VTTWINS_EVAL_PARTS.includes(p));
  if (bad.length)
    throw new InvalidInputError(`unknown part ${bad.join(', ')}; known: ${VTTWINS_EVAL_PARTS.join(', ')}`);
  const methods = (opts.methods ?? [...REAL_EVAL_METHODS]) as RealEvalMethod[];
  const unknown = methods.filter((m) => !REAL_EVAL_METHODS.includes(m));
  if (unknown.length)
    throw new InvalidInputError(`unknown method ${unknown.join(', ')}; known: ${REAL_EVAL_METHODS.join(', ')}`);
  const log = opts.onLog ?? (() => undefined);
  const report: VttwinsEvalReport = { kind: 'vttwins-evaluation', startedAt: new Date().toISOString() };
  const text: string[] = [];
  if (parts.includes('synthetic')) {
    log('synthetic alignment benchmark…');
    report.syntheticOptions = { ...QUICK_SYNTHETIC_EVAL, ...(opts.seeds ? { seeds: opts.seeds } : {}) };
    report.synthetic = await runSyntheticAlignmentEval(report.syntheticOptions);
    text.push(`synthetic alignment benchmark:\n${JSON.stringify(report.synthetic, null, 2)}`);
  }
  if (parts.includes('real')) {
    log('held-out real video…');
    report.real = await evaluateVttwinsRealVideo({
      dataRoot: opts.dataRoot,
      seeds: opts.seeds,
      methods,
      steps: opts.steps,
      onLog: log,
    });
    text.push(report.real.table ?? `real-video evaluation skipped: ${report.real.reason}`);
  }
  if (parts.includes('moments')) {
    report.moments = await describeMomentEvaluation(opts.dataRoot);
    if (report.moments.sets.some((s) => s.status === 'ready')) {
      // videos are staged: run with an S2DTW model trained on every subtitled real video here
      log('moment retrieval: training an S2DTW model on the real videos…');
      const model = await trainOnRealVideos({ dataRoot: opts.dataRoot, seeds: opts.seeds, steps: opts.steps });
      try {
        report.moments = await describeMomentEvaluation(opts.dataRoot, { model });
      } finally {
        model.dispose();
      }
    }
    text.push(`moment retrieval (QVHighlights/DiDeMo): ${report.moments.status}: ${report.moments.reason}`);
  }
  return { report, table: text.join('\n\n') };
}
