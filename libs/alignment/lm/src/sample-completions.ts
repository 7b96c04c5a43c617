import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { IGNORE_INDEX } from '@tessera/alignment/preference';
import type { TransformerLm } from './transformer-lm';

export interface SampleCompletionsOptions {
  /** Most new tokens per prompt (default 32). The prompt is cut from the left so BOS + prompt + tokens fit. */
  maxTokens?: number;
  /** Softmax temperature (default 1: plain ancestral sampling, which keeps sampled KL estimates unbiased). */
  temperature?: number;
  /** Row i draws from `new Rng(seed * 1_000_003 + i)`, so two models given the same seed share random numbers. */
  seed?: number;
  /** Prompts decoded together (default 64). */
  batchSize?: number;
}

export interface SampledCompletion {
  /** BOS + the (possibly left-cut) prompt ids. */
  contextIds: number[];
  /** Sampled ids, with EOS last when the model stopped on its own. */
  tokens: number[];
  finishedWithEos: boolean;
}

/**
 * Samples one completion per prompt, many prompts per forward pass: rows are right-padded and each row's next
 * token is read at its own last position (a causal model never sees the padding). Works on token ids, so the
 * samples can be scored exactly as drawn (no decode / re-encode round trip).
 */
export async function sampleCompletions(
  model: TransformerLm,
  prompts: readonly string[],
  options: SampleCompletionsOptions = {},
): Promise<SampledCompletion[]> {
  const maxTokens = options.maxTokens ?? 32;
  const temperature = options.temperature ?? 1;
  const seed = options.seed ?? 0;
  const bs = options.batchSize ?? 64;
  const { contextLength } = model.config;
  if (!(maxTokens >= 1) || maxTokens > contextLength - 2) {
    throw new InvalidInputError(`maxTokens must be in [1, ${contextLength - 2}], got ${maxTokens}`);
  }
  if (!(temperature > 0)) throw new InvalidInputError(`temperature must be positive, got ${temperature}`);
  const { tokenizer } = model;
  const encoded = await tokenizer.encodeBatch([...prompts]);
  const room = contextLength - 1 - maxTokens;
  const out: SampledCompletion[] = encoded.map((ids) => ({
    contextIds: [tokenizer.bosId, ...ids.slice(Math.max(0, ids.length - room))],
    tokens: [],
    finishedWithEos: false,
  }));
  for (let start = 0; start < out.length; start += bs) {
    const rows = out.slice(start, start + bs);
    const rngs = rows.map((_, i) => new Rng(seed * 1_000_003 + start + i));
    for (let step = 0; step < maxTokens; step++) {
      const live = rows.map((r, i) => (r.finishedWithEos ? -1 : i)).filter((i) => i >= 0);
      if (live.length === 0) break;
      const seqs = live.map((i) => [...rows[i].contextIds, ...rows[i].tokens]);
      const width = Math.max(...seqs.map((s) => s.length));
      const ids = new Int32Array(seqs.length * width).fill(tokenizer.padId);
      seqs.forEach((s, r) => ids.set(s, r * width));
      const logits = tf.tidy(() =>
        model.logitsAt(
          tf.tensor2d(ids, [seqs.length, width], 'int32'),
          seqs.map((s) => s.length - 1),
        ),
      );
      const values = await logits.data();
      const v = logits.shape[1];
      logits.dispose();
      live.forEach((i, r) => {
        const next = drawToken(values, r * v, v, temperature, rngs[i]);
        rows[i].tokens.push(next);
        if (next === tokenizer.eosId) rows[i].finishedWithEos = true;
      });
      await new Promise((r) => setImmediate(r));
    }
  }
  return out;
}

/** One draw from softmax(logits / temperature) over values[offset, offset + n). */
function drawToken(values: ArrayLike<number>, offset: number, n: number, temperature: number, rng: Rng): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, values[offset + j]);
  let z = 0;
  for (let j = 0; j < n; j++) z += Math.exp((values[offset + j] - max) / temperature);
  let u = rng.next() * z;
  for (let j = 0; j < n; j++) {
    u -= Math.exp((values[offset + j] - max) / temperature);
    if (u < 0) return j;
  }
  return n - 1;
}

/**
 * Right-padded ids and labels of sampled rows in the policy port's layout (labels = ids on the sampled
 * tokens, −100 elsewhere), so `sequenceLogProb` and a reward model score exactly the drawn tokens.
 */
export function encodeSampled(
  samples: readonly SampledCompletion[],
  padId: number,
): { inputIds: tf.Tensor2D; labels: tf.Tensor2D } {
  if (samples.length === 0) throw new InvalidInputError('no samples to encode');
  const width = Math.max(...samples.map((s) => s.contextIds.length + s.tokens.length));
  const ids = new Int32Array(samples.length * width).fill(padId);
  const labels = new Int32Array(samples.length * width).fill(IGNORE_INDEX);
  samples.forEach((s, r) => {
    ids.set(s.contextIds, r * width);
    ids.set(s.tokens, r * width + s.contextIds.length);
    labels.set(s.tokens, r * width + s.contextIds.length);
  });
  return {
    inputIds: tf.tensor2d(ids, [samples.length, width], 'int32'),
    labels: tf.tensor2d(labels, [samples.length, width], 'int32'),
  };
}
