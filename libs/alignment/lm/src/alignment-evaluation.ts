import { InvalidInputError } from '@tessera/common';
import {
  BradleyTerryRewardModel,
  RewardModelTrainer,
  evaluateRewardModel,
  loadHhRlhf,
  splitByIndex,
  type PreferencePair,
  type RewardModelEvaluation,
  type RewardPooling,
} from '@tessera/alignment/preference';
import type { LmTokenizer } from './lm-tokenizer';
import {
  runPreferenceEvaluation,
  type EvalAlgorithm,
  type PreferenceEvaluationOptions,
  type PreferenceEvaluationRow,
} from './preference-evaluation';
import { SftTrainer } from './sft-trainer';
import { SubwordLmTokenizer } from './subword-lm-tokenizer';
import { TransformerLm } from './transformer-lm';

export const EVAL_ALGORITHMS: readonly EvalAlgorithm[] = ['dpo', 'kto', 'bco', 'bce', 'bco-udm'];

/** Sizes of one alignment evaluation; `quick` checks the pipeline in minutes, `full` gives the reported table. */
export interface AlignmentEvalSizes {
  /** HH-RLHF pairs used before the 80/10/10 split (0 = all). */
  maxPairs: number;
  vocabSize: number;
  model: PreferenceEvaluationOptions['model'];
  sftSteps: number;
  preferenceSteps: number;
  rewardModelSteps: number;
  batchSize: number;
  /** Held-out prompts each model samples a completion for (win rate, sampled KL). */
  judgePrompts: number;
  maxNewTokens: number;
  /** Held-out pairs for implicit-reward accuracy and drift (0 = all of the validation split). */
  heldOutPairs: number;
}

export const ALIGNMENT_EVAL_PRESETS: Readonly<Record<'quick' | 'full', AlignmentEvalSizes>> = {
  quick: {
    maxPairs: 400,
    vocabSize: 512,
    model: { contextLength: 48, dModel: 32, nHeads: 2, nLayers: 1, maxCompletionTokens: 24 },
    sftSteps: 8,
    preferenceSteps: 8,
    rewardModelSteps: 8,
    batchSize: 8,
    judgePrompts: 16,
    maxNewTokens: 12,
    heldOutPairs: 40,
  },
  full: {
    maxPairs: 0,
    vocabSize: 1024,
    model: { contextLength: 64, dModel: 64, nHeads: 4, nLayers: 2, maxCompletionTokens: 32 },
    sftSteps: 40,
    preferenceSteps: 40,
    rewardModelSteps: 150,
    batchSize: 16,
    judgePrompts: 96,
    maxNewTokens: 24,
    heldOutPairs: 0,
  },
};

export interface AlignmentEvaluationOptions {
  train: readonly PreferencePair[];
  heldOut: readonly PreferencePair[];
  tokenizer: LmTokenizer;
  sizes: AlignmentEvalSizes;
  algorithms: readonly EvalAlgorithm[];
  seeds: readonly number[];
  /** Seed of the judge (its own SFT backbone and head); kept apart from the policy seeds. */
  judgeSeed?: number;
  pooling?: RewardPooling;
  learningRates?: { sft?: number; preference?: number; rewardModel?: number };
  beta?: number;
  onLog?: (line: string) => void;
  onRow?: (row: PreferenceEvaluationRow) => void;
}

export interface JudgeReport {
  seed: number;
  pooling: RewardPooling;
  sftSteps: number;
  steps: number;
  /** Pairwise accuracy on the held-out pairs (never trained on) and on the training pairs it saw. */
  heldOut: RewardModelEvaluation;
  train: RewardModelEvaluation;
  /** Does the judge simply prefer short (or long) completions? Measured on the held-out pairs. */
  lengthBias: JudgeLengthBias;
  seconds: number;
}

export interface JudgeLengthBias {
  /** Among held-out pairs whose completions differ in token count: share where the judge ranks the shorter higher. */
  judgePrefersShorter: number;
  /** Same pairs: share where the human label chose the shorter one. */
  humanPrefersShorter: number;
  /** Pearson correlation of judge reward and completion tokens (capped at the model's completion limit). */
  rewardLengthCorrelation: number;
  /** OLS fit reward ≈ intercept + slope · tokens on the same completions (the length-controlled win rate removes it). */
  slope: number;
  intercept: number;
  pairs: number;
}

/** Mean and sample standard deviation over seeds (sd 0 for one seed). */
export interface SeedStat {
  mean: number;
  sd: number;
  values: number[];
}

export interface AlgorithmSummary {
  algorithm: EvalAlgorithm | 'sft';
  seeds: number;
  accuracy: SeedStat;
  margin: SeedStat;
  winRate?: SeedStat;
  lengthControlledWinRate?: SeedStat;
  sampledKl?: SeedStat;
  driftPerToken?: SeedStat;
  driftPerSequence?: SeedStat;
  meanSampleTokens?: SeedStat;
}

export interface AlignmentEvaluationReport {
  judge: JudgeReport;
  rows: PreferenceEvaluationRow[];
  summary: AlgorithmSummary[];
  seconds: number;
}

/**
 * The alignment evaluation of issue 7: a Bradley–Terry judge trained on the training pairs only (its own SFT
 * backbone, then the pairwise loss), then for each seed SFT → DPO/KTO/BCO/BCE/BCO+UDM with held-out
 * implicit-reward accuracy and margin, log-prob drift on held-out chosen responses, and the judge's win rate of
 * each model's samples against the SFT model's samples on held-out prompts.
 */
export async function runAlignmentEvaluation(o: AlignmentEvaluationOptions): Promise<AlignmentEvaluationReport> {
  if (o.train.length === 0 || o.heldOut.length === 0) throw new InvalidInputError('need training and held-out pairs');
  if (o.seeds.length === 0) throw new InvalidInputError('need at least one seed');
  const log = o.onLog ?? (() => undefined);
  const started = Date.now();
  const s = o.sizes;
  const lr = { sft: 3e-3, preference: 1e-3, rewardModel: 1e-3, ...o.learningRates };
  const judgeSeed = o.judgeSeed ?? 1000;
  const pooling = o.pooling ?? 'last';
  const sftRows = o.train.map((p) => ({ prompt: p.prompt, completion: p.chosen }));

  log(`judge: SFT backbone (seed ${judgeSeed}, ${s.sftSteps} steps)`);
  const backbone = new TransformerLm({ ...s.model, vocabSize: o.tokenizer.vocabSize, seed: judgeSeed }, o.tokenizer);
  const sft = new SftTrainer(backbone, {
    batchSize: s.batchSize,
    learningRate: lr.sft,
    maxSteps: s.sftSteps,
    seed: judgeSeed,
  });
  const sftRes = await sft.train(sftRows);
  sft.dispose();
  const rewardModel = new BradleyTerryRewardModel(backbone, { pooling, seed: judgeSeed });
  const rmTrainer = new RewardModelTrainer(rewardModel, {
    batchSize: s.batchSize,
    learningRate: lr.rewardModel,
    maxSteps: s.rewardModelSteps,
    epochs: 1000,
    pooling,
    seed: judgeSeed,
  });
  const rmRes = await rmTrainer.train(o.train, {
    onProgress: (p) =>
      p.step % 20 === 0 &&
      log(`judge step ${p.step}/${p.totalSteps} BT loss ${p.loss.toFixed(4)} batch acc ${p.accuracy.toFixed(2)}`),
  });
  rmTrainer.dispose();
  const judge: JudgeReport = {
    seed: judgeSeed,
    pooling,
    sftSteps: sftRes.steps,
    steps: rmRes.steps,
    heldOut: await evaluateRewardModel(rewardModel, o.heldOut),
    train: await evaluateRewardModel(rewardModel, o.train.slice(0, Math.max(o.heldOut.length, 64))),
    lengthBias: await judgeLengthBias(rewardModel, o.heldOut, o.tokenizer, backbone.config.maxCompletionTokens),
    seconds: (Date.now() - started) / 1000,
  };
  log(
    `judge: held-out pair accuracy ${judge.heldOut.accuracy.toFixed(3)}, train ${judge.train.accuracy.toFixed(3)}; ` +
      `prefers the shorter completion in ${judge.lengthBias.judgePrefersShorter.toFixed(3)} of pairs (humans ` +
      `${judge.lengthBias.humanPrefersShorter.toFixed(3)}), reward–length r = ${judge.lengthBias.rewardLengthCorrelation.toFixed(3)}`,
  );

  try {
    const rows = await runPreferenceEvaluation({
      train: o.train,
      heldOut: o.heldOut,
      tokenizer: o.tokenizer,
      model: s.model,
      sft: { batchSize: s.batchSize, learningRate: lr.sft, maxSteps: s.sftSteps, epochs: 1000 },
      preference: {
        beta: o.beta ?? 0.1,
        learningRate: lr.preference,
        batchSize: s.batchSize,
        maxSteps: s.preferenceSteps,
        epochs: 1000,
      },
      algorithms: o.algorithms,
      seeds: o.seeds,
      judge: {
        rewardModel,
        prompts: o.heldOut.slice(0, s.judgePrompts).map((p) => p.prompt),
        maxTokens: s.maxNewTokens,
        lengthSlope: judge.lengthBias.slope,
      },
      onLog: log,
      onRow: o.onRow,
    });
    return { judge, rows, summary: summariseAlignmentRows(rows), seconds: (Date.now() - started) / 1000 };
  } finally {
    rewardModel.dispose();
    backbone.dispose();
  }
}

/** The judge's length preference on pairs, beside the human labels' own (see `JudgeLengthBias`). */
export async function judgeLengthBias(
  judge: BradleyTerryRewardModel,
  pairs: readonly PreferencePair[],
  tokenizer: LmTokenizer,
  maxCompletionTokens: number,
): Promise<JudgeLengthBias> {
  const [lw, ll] = await Promise.all([
    tokenizer.encodeBatch(pairs.map((p) => p.chosen)),
    tokenizer.encodeBatch(pairs.map((p) => p.rejected)),
  ]);
  // +1 for EOS, capped as the packer caps completions.
  const len = (ids: number[]) => Math.min(ids.length + 1, maxCompletionTokens);
  const rw = await judge.score(pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })));
  const rl = await judge.score(pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })));
  let n = 0;
  let judgeShort = 0;
  let humanShort = 0;
  for (let i = 0; i < pairs.length; i++) {
    const a = len(lw[i]);
    const b = len(ll[i]);
    if (a === b) continue;
    n++;
    const chosenShorter = a < b;
    if (chosenShorter) humanShort++;
    const d = rw[i] - rl[i];
    judgeShort += d === 0 ? 0.5 : d > 0 === chosenShorter ? 1 : 0;
  }
  const rewards = [...rw, ...rl];
  const lengths = [...lw.map(len), ...ll.map(len)];
  const fit = leastSquaresLine(lengths, rewards);
  return {
    judgePrefersShorter: n ? judgeShort / n : NaN,
    humanPrefersShorter: n ? humanShort / n : NaN,
    rewardLengthCorrelation: pearson(rewards, lengths),
    slope: fit.slope,
    intercept: fit.intercept,
    pairs: n,
  };
}

/** Ordinary least squares y ≈ intercept + slope · x (slope 0 when x is constant). */
export function leastSquaresLine(x: readonly number[], y: readonly number[]): { slope: number; intercept: number } {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n !== y.length || n < 2) return NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

function seedStat(values: number[]): SeedStat {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, values };
}

/** Per algorithm (in first-seen order), mean and sd over seeds of every metric present in all its rows. */
export function summariseAlignmentRows(rows: readonly PreferenceEvaluationRow[]): AlgorithmSummary[] {
  const order: (EvalAlgorithm | 'sft')[] = [];
  for (const r of rows) if (!order.includes(r.algorithm)) order.push(r.algorithm);
  return order.map((algorithm) => {
    const rs = rows.filter((r) => r.algorithm === algorithm);
    const opt = (pick: (r: PreferenceEvaluationRow) => number | undefined): SeedStat | undefined => {
      const v = rs.map(pick);
      return v.every((x) => x !== undefined && Number.isFinite(x)) ? seedStat(v as number[]) : undefined;
    };
    return {
      algorithm,
      seeds: rs.length,
      accuracy: seedStat(rs.map((r) => r.accuracy)),
      margin: seedStat(rs.map((r) => r.margin)),
      winRate: opt((r) => r.generation?.winRate),
      lengthControlledWinRate: opt((r) => r.generation?.lengthControlledWinRate),
      sampledKl: opt((r) => r.generation?.sampledKl),
      driftPerToken: opt((r) => r.driftPerToken),
      driftPerSequence: opt((r) => r.driftPerSequence),
      meanSampleTokens: opt((r) => r.generation?.meanSampleTokens),
    };
  });
}

/** The one table: every method, mean ± sd over seeds. */
export function formatAlignmentTable(report: Pick<AlignmentEvaluationReport, 'summary' | 'judge'>): string {
  const pm = (s: SeedStat | undefined, digits = 3) =>
    s ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}` : 'n/a';
  const lines = [
    '| method | seeds | implicit-reward acc | margin | RM win rate vs SFT | length-controlled win rate | sampled KL (nats/completion) | drift (nats/token, chosen) | sample tokens |',
    '|---|---|---|---|---|---|---|---|---|',
    ...report.summary.map(
      (s) =>
        `| ${s.algorithm} | ${s.seeds} | ${pm(s.accuracy)} | ${pm(s.margin, 4)} | ${pm(s.winRate)} | ${pm(s.lengthControlledWinRate)} | ${pm(s.sampledKl)} | ${pm(s.driftPerToken, 4)} | ${pm(s.meanSampleTokens, 1)} |`,
    ),
    '',
    `judge (Bradley–Terry, ${report.judge.pooling} pooling, seed ${report.judge.seed}): held-out pair accuracy ` +
      `${report.judge.heldOut.accuracy.toFixed(3)} (n=${report.judge.heldOut.count}), training pairs ${report.judge.train.accuracy.toFixed(3)}` +
      (report.judge.lengthBias
        ? `; prefers the shorter completion in ${report.judge.lengthBias.judgePrefersShorter.toFixed(3)} of held-out ` +
          `pairs of unequal length (human labels ${report.judge.lengthBias.humanPrefersShorter.toFixed(3)}), ` +
          `reward–length correlation ${report.judge.lengthBias.rewardLengthCorrelation.toFixed(3)}`
        : ''),
  ];
  return lines.join('\n');
}

export interface HhEvaluationData {
  train: PreferencePair[];
  heldOut: PreferencePair[];
  tokenizer: SubwordLmTokenizer;
  description: string;
}

/**
 * HH-RLHF harmless-base pairs split 80/10/10 by index with `splitSeed`; the validation split is the held-out
 * set (never trained on, by the policies or the judge); the BPE tokenizer is trained on the training split only.
 */
export async function prepareHhEvaluationData(
  path: string,
  options: { splitSeed?: number; maxPairs?: number; heldOutPairs?: number; vocabSize: number },
): Promise<HhEvaluationData> {
  const { pairs, skipped } = await loadHhRlhf(path);
  const all = options.maxPairs ? pairs.slice(0, options.maxPairs) : pairs;
  const splitSeed = options.splitSeed ?? 13;
  const split = splitByIndex(all, splitSeed);
  const heldOut = options.heldOutPairs ? split.validation.slice(0, options.heldOutPairs) : split.validation;
  const tokenizer = await SubwordLmTokenizer.train(
    split.train.flatMap((p) => [p.prompt, p.chosen, p.rejected]),
    { vocabSize: options.vocabSize, seed: splitSeed },
  );
  return {
    train: split.train,
    heldOut,
    tokenizer,
    description:
      `hh-rlhf ${path.split('/').slice(-1)[0]}: ${all.length} pairs (${skipped.length} skipped rows), split seed ${splitSeed}; ` +
      `train ${split.train.length} / held-out ${heldOut.length} (validation split)`,
  };
}
