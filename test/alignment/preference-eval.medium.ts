import { appendFileSync, writeFileSync } from 'node:fs';
import { divergentThumbs, loadHhRlhf, splitByIndex } from '@tessera/alignment/preference';
import { SubwordLmTokenizer, runPreferenceEvaluation, type EvalAlgorithm } from '@tessera/alignment/lm';
import { describeBackend, initTensorBackend } from '@tessera/tensor';
import { needsSharedData } from '@tessera/testing';
import { describe, expect, it } from 'vitest';

/*
 * The small-scale evaluation of spec §10 on HH-RLHF harmless-base test (80/10/10 split, seed 13):
 * SFT on chosen responses, then DPO / KTO / BCO / BCE from the frozen SFT reference, held-out implicit-reward
 * accuracy and margin, several seeds. Minutes of CPU, so it only runs when TESSERA_ALIGNMENT_EVAL=1.
 * Knobs: TESSERA_EVAL_SEEDS=1,2,3  TESSERA_EVAL_STEPS=40  TESSERA_EVAL_ALGOS=dpo,kto,bco,bce
 * TESSERA_EVAL_OUT=/tmp/preference-eval.json
 * TESSERA_EVAL_UDM_STRESS=1: KTO/BCO/BCE train on divergent thumbs (80% of 👍 from single-turn prompts,
 * 80% of 👎 from multi-turn prompts); held-out pairs stay balanced.
 */
const hh = needsSharedData('alignment/hh-rlhf/harmless-base-test.jsonl.gz');
const enabled = process.env.TESSERA_ALIGNMENT_EVAL === '1';
const reason = hh.skip ? hh.reason : enabled ? '' : ' (skipped: set TESSERA_ALIGNMENT_EVAL=1 to run)';

describe.skipIf(hh.skip || !enabled)(`preference evaluation on HH-RLHF${reason}`, () => {
  it(
    'trains SFT then each algorithm and reports held-out implicit-reward accuracy per seed',
    async () => {
      const backend = await initTensorBackend((process.env.TESSERA_TF_BACKEND as 'wasm') ?? 'wasm');
      const { pairs } = await loadHhRlhf(hh.path);
      const split = splitByIndex(pairs, 13);
      const seeds = (process.env.TESSERA_EVAL_SEEDS ?? '1,2,3').split(',').map(Number);
      const steps = Number(process.env.TESSERA_EVAL_STEPS ?? 40);
      const algorithms = (process.env.TESSERA_EVAL_ALGOS ?? 'dpo,kto,bco,bce').split(',') as EvalAlgorithm[];
      const tokenizer = await SubwordLmTokenizer.train(
        split.train.flatMap((p) => [p.prompt, p.chosen, p.rejected]),
        { vocabSize: Number(process.env.TESSERA_EVAL_VOCAB ?? 1024), seed: 13 },
      );
      const stress = process.env.TESSERA_EVAL_UDM_STRESS === '1';
      const singleTurn = (p: { prompt: string }) => p.prompt.split('\n\nHuman:').length === 2;
      const trainFeedback = stress ? divergentThumbs(split.train, singleTurn, { majority: 0.8, seed: 13 }) : undefined;
      const out = process.env.TESSERA_EVAL_OUT ?? '/tmp/preference-eval.json';
      const started = Date.now();
      const rows = await runPreferenceEvaluation({
        train: split.train,
        trainFeedback,
        heldOut: split.validation,
        tokenizer,
        model: { contextLength: 64, dModel: 64, nHeads: 4, nLayers: 2, maxCompletionTokens: 32 },
        sft: { batchSize: 16, learningRate: 3e-3, maxSteps: steps, epochs: 1 },
        preference: { beta: 0.1, learningRate: 1e-3, batchSize: 16, maxSteps: steps, epochs: 1 },
        algorithms,
        seeds,
        onLog: (l) => console.log(`[eval] ${l}`),
        onRow: (r) => appendFileSync(`${out}l`, `${JSON.stringify({ stress, ...r })}\n`),
      });
      const summary = {
        backend: describeBackend().backend,
        node: process.version,
        data: 'hh-rlhf harmless-base test; train 1850 / held-out (validation) 231 pairs; split seed 13',
        tokenizer: { kind: 'subword', vocabSize: tokenizer.vocabSize },
        steps,
        udmStress: stress
          ? { rows: trainFeedback!.length, groupA: 'single-turn prompts', majority: 0.8, balancedLabels: true }
          : false,
        seconds: (Date.now() - started) / 1000,
        rows,
      };
      writeFileSync(out, JSON.stringify(summary, null, 2));
      console.log(`[eval] wrote ${out} (backend ${backend.backend})`);
      expect(rows.length).toBe(seeds.length * (algorithms.length + 1));
      expect(rows.every((r) => r.accuracy >= 0 && r.accuracy <= 1 && Number.isFinite(r.margin))).toBe(true);
    },
    4 * 3600_000,
  );
});
