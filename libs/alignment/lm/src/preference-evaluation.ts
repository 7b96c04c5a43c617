import * as tf from '@tensorflow/tfjs';
import {
  PreferenceTrainer,
  evaluatePreferencePairs,
  parseBcoConfig,
  parseDpoConfig,
  parseKtoConfig,
  type PairEvaluation,
  type PreferenceConfig,
  type BinaryFeedback,
  type PreferencePair,
  type PromptEmbedder,
  type BradleyTerryRewardModel,
  evaluateLogProbDrift,
  winRate,
} from '@tessera/alignment/preference';
import { sampleAndJudge, type JudgedSamples } from './judge-samples';
import type { LmTokenizer } from './lm-tokenizer';
import { SftTrainer } from './sft-trainer';
import type { SftConfigInput } from './sft.config';
import { TransformerLm } from './transformer-lm';
import type { TransformerLmConfigInput } from './transformer-lm.config';

export type EvalAlgorithm = 'dpo' | 'kto' | 'bco' | 'bce' | 'bco-udm';

export interface PreferenceEvaluationOptions {
  /** SFT data (chosen responses) and, unless `trainFeedback` is given, the preference data. */
  train: readonly PreferencePair[];
  /** Thumbs rows for KTO/BCO/BCE (e.g. the UDM stress set); DPO still uses `train`. */
  trainFeedback?: readonly BinaryFeedback[];
  heldOut: readonly PreferencePair[];
  tokenizer: LmTokenizer;
  model: Omit<TransformerLmConfigInput, 'vocabSize' | 'seed'>;
  sft: Omit<SftConfigInput, 'seed'>;
  /** Shared by every algorithm: beta, learningRate, batchSize, maxSteps, epochs. */
  preference: { beta?: number; learningRate?: number; batchSize?: number; maxSteps?: number; epochs?: number };
  algorithms: readonly EvalAlgorithm[];
  seeds: readonly number[];
  onLog?: (line: string) => void;
  /** Called with each result row as soon as it exists (long runs keep partial results). */
  onRow?: (row: PreferenceEvaluationRow) => void;
  /**
   * Generation metrics: each model samples one completion per prompt (seeded by the training seed, so the SFT
   * model and the aligned policy share random numbers) and the reward model judges them against the SFT
   * model's samples.
   */
  judge?: {
    rewardModel: BradleyTerryRewardModel;
    prompts: readonly string[];
    maxTokens: number;
    temperature?: number;
    /**
     * Reward per token of the judge's length trend (OLS slope on held-out human completions). When set, rows also
     * get a length-controlled win rate on rewards minus slope × sample tokens.
     */
    lengthSlope?: number;
  };
  /** Measure log-prob drift from the reference on the held-out chosen completions (default true). */
  drift?: boolean;
}

/** Generation metrics of one row, against the same seed's SFT samples. */
export interface JudgedGeneration {
  /** Reward-model win rate against the SFT model's samples (ties count half). */
  winRate: number;
  wins: number;
  ties: number;
  losses: number;
  prompts: number;
  /** Mean judge reward of this model's samples and of the SFT model's. */
  meanReward: number;
  sftMeanReward: number;
  /** Mean over the model's own samples of log π_θ − log π_ref: a Monte-Carlo estimate of KL(π_θ ‖ π_ref) per completion. */
  sampledKl: number;
  /** Mean sampled tokens per completion (EOS included). */
  meanSampleTokens: number;
  /** Win rate on rewards with the judge's linear length trend removed (when `judge.lengthSlope` is set). */
  lengthControlledWinRate?: number;
}

export interface PreferenceEvaluationRow extends PairEvaluation {
  seed: number;
  /** 'sft' is the starting point: the reference itself. */
  algorithm: EvalAlgorithm | 'sft';
  steps: number;
  seconds: number;
  /** Mean over held-out chosen completions of Σ_t (log π_θ − log π_ref) / n_tokens. */
  driftPerToken?: number;
  /** The same sum per completion, not divided by its length. */
  driftPerSequence?: number;
  generation?: JudgedGeneration;
}

/**
 * Mean-pooled token embeddings of a model, L2-normalised: a cheap prompt embedder for UDM when no
 * embedding service is wired in.
 */
export function meanTokenEmbedder(model: TransformerLm): PromptEmbedder {
  return async (prompts) => {
    const ids = await model.tokenizer.encodeBatch(prompts);
    const table = model.namedWeights().find((w) => w.name === 'emb.tok')!.variable;
    const values = (await table.data()) as Float32Array;
    const d = table.shape[1]!;
    return ids.map((row) => {
      const v = new Float64Array(d);
      for (const id of row) for (let j = 0; j < d; j++) v[j] += values[id * d + j];
      const norm = Math.hypot(...v) || 1;
      return Array.from(v, (x) => x / norm);
    });
  };
}

/**
 * For each seed: SFT a fresh small LM on the chosen responses, freeze a copy as the reference, then train
 * a copy of the SFT model with each algorithm and measure implicit-reward accuracy and margin on held-out
 * pairs. Slow by nature (minutes per run on CPU); a library function so the CLI or a job can call it.
 */
export async function runPreferenceEvaluation(o: PreferenceEvaluationOptions): Promise<PreferenceEvaluationRow[]> {
  const rows: PreferenceEvaluationRow[] = [];
  const log = o.onLog ?? (() => undefined);
  const beta = o.preference.beta ?? 0.1;
  const chosenRows = o.heldOut.map((p) => ({ prompt: p.prompt, completion: p.chosen }));
  for (const seed of o.seeds) {
    const sftModel = new TransformerLm({ ...o.model, vocabSize: o.tokenizer.vocabSize, seed }, o.tokenizer);
    const t0 = Date.now();
    const sft = new SftTrainer(sftModel, { ...o.sft, seed });
    const sftRes = await sft.train(
      o.train.map((p) => ({ prompt: p.prompt, completion: p.chosen })),
      {
        onProgress: (p) =>
          p.step % 20 === 0 && log(`seed ${seed} sft step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)}`),
      },
    );
    sft.dispose();
    const reference = sftModel.frozenCopy();
    const base = await evaluatePreferencePairs(sftModel, reference, o.heldOut, { beta });
    const judgeOptions = o.judge && { maxTokens: o.judge.maxTokens, temperature: o.judge.temperature, seed };
    const sftSamples =
      o.judge && (await sampleAndJudge(sftModel, reference, o.judge.rewardModel, o.judge.prompts, judgeOptions!));
    const extra = async (model: TransformerLm): Promise<Partial<PreferenceEvaluationRow>> => {
      const out: Partial<PreferenceEvaluationRow> = {};
      if (o.drift ?? true) {
        const d = await evaluateLogProbDrift(model, reference, chosenRows);
        out.driftPerToken = d.perToken;
        out.driftPerSequence = d.perSequence;
      }
      if (o.judge && sftSamples) {
        const mine: JudgedSamples =
          model === sftModel
            ? sftSamples
            : await sampleAndJudge(model, reference, o.judge.rewardModel, o.judge.prompts, judgeOptions!);
        const wr = winRate(mine.rewards, sftSamples.rewards);
        const slope = o.judge.lengthSlope;
        const detrend = (j: JudgedSamples) => Array.from(j.rewards, (r, i) => r - slope! * j.samples[i].tokens.length);
        const lc = slope === undefined ? undefined : winRate(detrend(mine), detrend(sftSamples)).winRate;
        out.generation = {
          winRate: wr.winRate,
          wins: wr.wins,
          ties: wr.ties,
          losses: wr.losses,
          prompts: wr.count,
          meanReward: meanOf(mine.rewards),
          sftMeanReward: meanOf(sftSamples.rewards),
          sampledKl: meanOf(mine.logRatios),
          meanSampleTokens: meanOf(mine.samples.map((x) => x.tokens.length)),
          ...(lc === undefined ? {} : { lengthControlledWinRate: lc }),
        };
      }
      return out;
    };
    rows.push({
      ...base,
      seed,
      algorithm: 'sft',
      steps: sftRes.steps,
      seconds: (Date.now() - t0) / 1000,
      ...(await extra(sftModel)),
    });
    o.onRow?.(rows[rows.length - 1]);
    log(`seed ${seed} sft: policy log-prob accuracy ${base.policyLogProbAccuracy.toFixed(3)}`);
    for (const algorithm of o.algorithms) {
      const policy = sftModel.frozenCopy();
      const trainable = new TransformerLm(policy.config, o.tokenizer);
      trainable.copyWeightsFrom(policy);
      policy.dispose();
      const common = { ...o.preference, seed };
      const config: PreferenceConfig =
        algorithm === 'dpo'
          ? parseDpoConfig(common)
          : algorithm === 'kto'
            ? parseKtoConfig(common)
            : parseBcoConfig({
                ...common,
                rewardShift: algorithm !== 'bce',
                udm: { enabled: algorithm === 'bco-udm' },
              });
      const t1 = Date.now();
      const trainer = new PreferenceTrainer({
        policy: trainable,
        reference,
        config,
        promptEmbedder: algorithm === 'bco-udm' ? meanTokenEmbedder(reference) : undefined,
        onWarning: (w) => log(`seed ${seed} ${algorithm}: ${w}`),
      });
      const data = algorithm !== 'dpo' && o.trainFeedback ? o.trainFeedback : o.train;
      const res = await trainer.train(data, {
        onProgress: (p) =>
          p.step % 20 === 0 &&
          log(`seed ${seed} ${algorithm} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)}`),
      });
      trainer.dispose();
      const ev = await evaluatePreferencePairs(trainable, reference, o.heldOut, { beta });
      const seconds = (Date.now() - t1) / 1000;
      const row: PreferenceEvaluationRow = {
        ...ev,
        seed,
        algorithm,
        steps: res.steps,
        seconds,
        ...(await extra(trainable)),
      };
      rows.push(row);
      o.onRow?.(row);
      log(
        `seed ${seed} ${algorithm}: accuracy ${ev.accuracy.toFixed(3)} margin ${ev.margin.toFixed(4)} (${res.steps} steps)` +
          (row.generation
            ? ` win rate ${row.generation.winRate.toFixed(3)} sampled KL ${row.generation.sampledKl.toFixed(3)}`
            : '') +
          (row.driftPerToken !== undefined ? ` drift/token ${row.driftPerToken.toFixed(4)}` : ''),
      );
      trainable.dispose();
    }
    reference.dispose();
    sftModel.dispose();
    log(`seed ${seed} done; tensors alive ${tf.memory().numTensors}`);
  }
  return rows;
}

function meanOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}
