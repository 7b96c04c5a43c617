import * as tf from '@tensorflow/tfjs';
import {
  ALIGNMENT_EVAL_PRESETS,
  ByteTokenizer,
  formatAlignmentTable,
  runAlignmentEvaluation,
  type AlignmentEvalSizes,
} from '@tessera/alignment/lm';
import type { PreferencePair } from '@tessera/alignment/preference';
import { initTensorBackend } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';

/*
 * The `tessera eval alignment` pipeline end to end at toy size (well under a minute): judge SFT + Bradley–Terry
 * training, then per seed SFT → DPO/BCO with implicit-reward accuracy, drift, sampling and judged win rates.
 * The data is a separable toy set (chosen answers agree politely, rejected ones are terse refusals), so the judge
 * must rank its own training pairs above chance.
 */
function toyPairs(n: number): PreferencePair[] {
  const topics = ['cats', 'rain', 'tea', 'maps', 'bikes', 'jazz', 'owls', 'kites'];
  return Array.from({ length: n }, (_, i) => ({
    id: `toy-${i}`,
    prompt: `\n\nHuman: tell me about ${topics[i % topics.length]}\n\nAssistant:`,
    chosen: ` sure, ${topics[(i * 3) % topics.length]} are nice`,
    rejected: ` no!! ${'x'.repeat(1 + (i % 3))}`,
    source: 'toy',
  }));
}

const TINY: AlignmentEvalSizes = {
  ...ALIGNMENT_EVAL_PRESETS.quick,
  model: { contextLength: 40, dModel: 16, nHeads: 2, nLayers: 1, maxCompletionTokens: 20 },
  sftSteps: 6,
  preferenceSteps: 4,
  rewardModelSteps: 30,
  batchSize: 8,
  judgePrompts: 6,
  maxNewTokens: 6,
};

describe('alignment evaluation pipeline (toy data)', () => {
  it('trains the judge, runs SFT + algorithms per seed and reports every metric', async () => {
    await initTensorBackend('wasm');
    const pairs = toyPairs(48);
    const before = tf.memory().numTensors;
    const rows: string[] = [];
    const report = await runAlignmentEvaluation({
      train: pairs.slice(0, 40),
      heldOut: pairs.slice(40),
      tokenizer: new ByteTokenizer(),
      sizes: TINY,
      algorithms: ['dpo', 'bco'],
      seeds: [1, 2],
      learningRates: { rewardModel: 1e-2 },
      onRow: (r) => rows.push(`${r.seed}/${r.algorithm}`),
    });
    expect(rows).toEqual(['1/sft', '1/dpo', '1/bco', '2/sft', '2/dpo', '2/bco']);
    expect(report.rows).toHaveLength(6);
    // The judge learned its (separable) training pairs.
    expect(report.judge.steps).toBe(30);
    expect(report.judge.train.accuracy).toBeGreaterThan(0.5);
    expect(report.judge.heldOut.count).toBe(8);
    // Every toy chosen answer is longer than its rejected one.
    expect(report.judge.lengthBias.humanPrefersShorter).toBe(0);
    expect(report.judge.lengthBias.pairs).toBe(8);
    for (const r of report.rows) {
      expect(r.generation!.prompts).toBe(6);
      expect(r.generation!.winRate).toBeGreaterThanOrEqual(0);
      expect(r.generation!.winRate).toBeLessThanOrEqual(1);
      expect(r.generation!.wins + r.generation!.ties + r.generation!.losses).toBe(6);
      expect(Number.isFinite(r.driftPerToken!)).toBe(true);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    }
    // SFT against itself: identical samples (shared seeds), all ties, no drift, no KL.
    for (const r of report.rows.filter((x) => x.algorithm === 'sft')) {
      expect(r.generation!.winRate).toBe(0.5);
      expect(r.generation!.lengthControlledWinRate).toBe(0.5);
      expect(r.generation!.ties).toBe(6);
      expect(r.generation!.sampledKl).toBe(0);
      expect(r.driftPerToken).toBe(0);
      expect(r.accuracy).toBe(0);
    }
    // Trained policies moved away from the reference.
    expect(report.rows.filter((x) => x.algorithm !== 'sft').some((x) => x.driftPerToken !== 0)).toBe(true);
    expect(report.summary.map((s) => s.algorithm)).toEqual(['sft', 'dpo', 'bco']);
    expect(report.summary.every((s) => s.seeds === 2 && s.winRate && s.driftPerToken && s.sampledKl)).toBe(true);
    const table = formatAlignmentTable(report);
    for (const name of ['| sft |', '| dpo |', '| bco |', 'RM win rate vs SFT', 'judge (Bradley–Terry']) {
      expect(table).toContain(name);
    }
    // Everything the run created was disposed.
    expect(tf.memory().numTensors).toBe(before);
  });
});
