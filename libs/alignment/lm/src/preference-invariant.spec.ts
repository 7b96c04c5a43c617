import * as tf from '@tensorflow/tfjs';
import {
  PreferenceTrainer,
  parseBcoConfig,
  parseDpoConfig,
  parseKtoConfig,
  unpairPreferences,
  type PreferenceConfig,
  type PreferencePair,
} from '@tessera/alignment/preference';
import { beforeAll, describe, expect, it } from 'vitest';
import { ByteTokenizer } from './byte-tokenizer';
import { TransformerLm } from './transformer-lm';

/*
 * TRL-style invariant suite: per-step loss and gradient norm under fixed seeds on the cpu backend, compared
 * with values recorded when the trainer was written. A change here means training behaviour changed.
 */
// Re-record with RECORD_INVARIANTS=1 (prints the new values) only when a change is intended.
const RECORDED: Record<string, { loss: number; gradNorm: number }[]> = {
  dpo: [
    { loss: 0.692902, gradNorm: 0.758472 },
    { loss: 0.672695, gradNorm: 0.6135 },
  ],
  kto: [
    { loss: 0.500119, gradNorm: 0.224541 },
    { loss: 0.494778, gradNorm: 0.194179 },
    { loss: 0.499728, gradNorm: 0.327935 },
  ],
  bco: [
    { loss: 0.693387, gradNorm: 0.449214 },
    { loss: 0.676556, gradNorm: 0.380479 },
    { loss: 0.698762, gradNorm: 0.658947 },
  ],
};

const tok = new ByteTokenizer();
const pairs: PreferencePair[] = Array.from({ length: 8 }, (_, i) => ({
  id: `p${i}`,
  prompt: `Q${i}:`,
  chosen: i % 2 ? ' sure' : ' yes',
  rejected: i % 3 ? ' no' : ' never',
  source: 'toy',
}));

async function run(config: PreferenceConfig): Promise<{ loss: number; gradNorm: number }[]> {
  const policy = new TransformerLm(
    { vocabSize: tok.vocabSize, contextLength: 24, dModel: 16, nHeads: 2, nLayers: 1, seed: 11 },
    tok,
  );
  const reference = policy.frozenCopy();
  // Move the policy off the reference so log-ratios are not all zero.
  const w = policy.trainableVariables()[0];
  w.assign(tf.add(w, tf.mul(0.01, tf.randomNormal(w.shape, 0, 1, 'float32', 5))));
  const trainer = new PreferenceTrainer({ policy, reference, config });
  const res = await trainer.train(config.algorithm === 'dpo' ? pairs : unpairPreferences(pairs));
  trainer.dispose();
  policy.dispose();
  reference.dispose();
  return res.history.map((h) => ({ loss: h.loss, gradNorm: h.gradNorm }));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('preference training invariants (cpu, fixed seeds)', () => {
  const common = { batchSize: 4, maxSteps: 3, learningRate: 1e-2, seed: 2 };
  const configs: Record<string, PreferenceConfig> = {
    dpo: parseDpoConfig(common),
    kto: parseKtoConfig(common),
    bco: parseBcoConfig(common),
  };
  for (const [name, config] of Object.entries(configs)) {
    it(`${name}: per-step loss and gradient norm match the recorded run`, async () => {
      const got = await run(config);
      if (process.env.RECORD_INVARIANTS) console.log(`RECORD ${name} ${JSON.stringify(got)}`);
      expect(got).toHaveLength(RECORDED[name].length);
      got.forEach((g, i) => {
        expect(g.loss).toBeCloseTo(RECORDED[name][i].loss, 4);
        expect(g.gradNorm).toBeCloseTo(RECORDED[name][i].gradNorm, 3);
      });
    });
  }
});
