import * as tf from '@tensorflow/tfjs';
import { dpoSigmoidLoss, sequenceLogProb } from '@tessera/alignment/preference';
import { gradientCheckVariables, initTensorBackend } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { ByteTokenizer } from './byte-tokenizer';
import { TransformerLm } from './transformer-lm';

const tok = new ByteTokenizer();
const config = { vocabSize: tok.vocabSize, contextLength: 16, dModel: 8, nHeads: 2, nLayers: 1, seed: 7 };
const rows = [
  { prompt: 'ab', completion: 'cd' },
  { prompt: 'longer', completion: 'x' },
];

async function logProbsAndDpo(): Promise<{ lp: number[]; dpo: number }> {
  const m = new TransformerLm(config, tok);
  const lp = Array.from(await m.completionLogProbs(rows));
  const t = (xs: number[]) => tf.tensor1d(xs);
  const dpo = dpoSigmoidLoss({
    policyChosen: t([-3.2, -1]),
    policyRejected: t([-4, -2.5]),
    referenceChosen: t([-3, -1.5]),
    referenceRejected: t([-3.5, -2]),
  }).loss.dataSync()[0];
  m.dispose();
  return { lp, dpo };
}

describe('TransformerLm gradients and backends', () => {
  it('parameter gradients of the completion log-prob pass a central-difference check (float32, h = 1e-3: LayerNorm inputs are ~0.02, so larger steps leave the linear range)', async () => {
    await initTensorBackend('cpu');
    const m = new TransformerLm(config, tok);
    const enc = await m.encodeCompletions(rows);
    // atol 5e-2: gradients below it are judged by absolute error (≤ 1e-3, the float32 noise of f at this h).
    const vars = m.trainableVariables().filter((v) => v.size <= 64 * 8 + 64);
    const r = gradientCheckVariables(
      () => tf.mean(sequenceLogProb(m.logits(enc.inputIds), enc.labels)) as tf.Scalar,
      vars,
      { maxPerInput: 4, eps: 1e-3, rtol: 2e-2, atol: 5e-2 },
    );
    expect(r.checked).toBeGreaterThan(10);
    expect(r.maxRelError, JSON.stringify(r.worst)).toBeLessThan(2e-2);
    m.dispose();
  });

  it('wasm gives the same log-probs and DPO loss as cpu', async () => {
    await initTensorBackend('cpu');
    const cpu = await logProbsAndDpo();
    await initTensorBackend('wasm');
    const wasm = await logProbsAndDpo();
    wasm.lp.forEach((x, i) => expect(x).toBeCloseTo(cpu.lp[i], 3));
    expect(wasm.dpo).toBeCloseTo(cpu.dpo, 5);
    await initTensorBackend('cpu');
  });
});
