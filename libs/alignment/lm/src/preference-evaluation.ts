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
} from '@tessera/alignment/preference';
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
}

export interface PreferenceEvaluationRow extends PairEvaluation {
  seed: number;
  /** 'sft' is the starting point: the reference itself. */
  algorithm: EvalAlgorithm | 'sft';
  steps: number;
  seconds: number;
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
    rows.push({ ...base, seed, algorithm: 'sft', steps: sftRes.steps, seconds: (Date.now() - t0) / 1000 });
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
      rows.push({ ...ev, seed, algorithm, steps: res.steps, seconds: (Date.now() - t1) / 1000 });
      o.onRow?.(rows[rows.length - 1]);
      log(
        `seed ${seed} ${algorithm}: accuracy ${ev.accuracy.toFixed(3)} margin ${ev.margin.toFixed(4)} (${res.steps} steps)`,
      );
      trainable.dispose();
    }
    reference.dispose();
    sftModel.dispose();
    log(`seed ${seed} done; tensors alive ${tf.memory().numTensors}`);
  }
  return rows;
}
