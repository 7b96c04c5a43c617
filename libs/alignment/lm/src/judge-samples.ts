import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import { sequenceLogProb, type BradleyTerryRewardModel } from '@tessera/alignment/preference';
import { encodeSampled, sampleCompletions, type SampledCompletion } from './sample-completions';
import type { TransformerLm } from './transformer-lm';

export interface JudgedSamples {
  samples: SampledCompletion[];
  /** Judge reward of each sample. */
  rewards: Float32Array;
  /** log π(y|x) − log π_ref(y|x) of each sample y ~ π (its mean estimates KL(π ‖ π_ref) per completion). */
  logRatios: Float32Array;
}

export interface JudgeSamplingOptions {
  maxTokens: number;
  seed: number;
  temperature?: number;
  batchSize?: number;
}

/**
 * Samples one completion per prompt from `model`, scores each with the reward model and with the
 * model/reference log-ratio, all on the drawn token ids.
 */
export async function sampleAndJudge(
  model: TransformerLm,
  reference: TransformerLm,
  judge: BradleyTerryRewardModel,
  prompts: readonly string[],
  options: JudgeSamplingOptions,
): Promise<JudgedSamples> {
  if (judge.tokenizerFingerprint !== model.tokenizerFingerprint) {
    throw new InvalidInputError('the reward model and the policy use different tokenizers');
  }
  const bs = options.batchSize ?? 64;
  const samples = await sampleCompletions(model, prompts, {
    maxTokens: options.maxTokens,
    seed: options.seed,
    temperature: options.temperature,
    batchSize: bs,
  });
  const rewards = new Float32Array(samples.length);
  const logRatios = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i += bs) {
    const enc = encodeSampled(samples.slice(i, i + bs), model.tokenizer.padId);
    try {
      rewards.set(await judge.scoreEncoded(enc.inputIds, enc.labels), i);
      const lr = tf.tidy(() =>
        tf.sub(
          sequenceLogProb(model.logits(enc.inputIds), enc.labels),
          sequenceLogProb(reference.logits(enc.inputIds), enc.labels),
        ),
      );
      logRatios.set(await lr.data(), i);
      lr.dispose();
    } finally {
      tf.dispose([enc.inputIds, enc.labels]);
    }
  }
  return { samples, rewards, logRatios };
}
