import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import type { LmTokenizer } from './lm-tokenizer';
import type { TransformerLm } from './transformer-lm';

export interface GenerateOptions {
  /** Most new tokens (default 64). */
  maxTokens?: number;
  /** 0 means greedy (default 1). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Nucleus sampling: keep the smallest set whose probability reaches p (1 or absent: all). */
  topP?: number;
  /** Stop when the generated text contains one of these; the text is cut before it. */
  stop?: readonly string[];
  seed?: number;
}

export interface GenerateResult {
  text: string;
  tokens: number[];
  finishReason: 'eos' | 'stop' | 'length';
}

/**
 * Generates a continuation of `prompt`, one token at a time over the last `contextLength` tokens
 * (no key/value cache: the model is small). Seeded: the same seed gives the same text.
 */
export async function generateText(
  model: TransformerLm,
  prompt: string,
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  resolveGenerateOptions(options);
  const { tokenizer } = model;
  const context = [tokenizer.bosId, ...(await tokenizer.encodeBatch([prompt]))[0]];
  const window = model.config.contextLength;
  return decodeTokens(
    async (generated) => {
      const ids = [...context, ...generated].slice(-window);
      const last = tf.tidy(() => {
        const logits = model.logits(tf.tensor2d([ids], [1, ids.length], 'int32'));
        return tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1]);
      });
      const values = await last.data();
      last.dispose();
      return values;
    },
    tokenizer,
    options,
  );
}

/** Options with their defaults, checked; throws `InvalidInputError` on a value out of range. */
export function resolveGenerateOptions(
  options: GenerateOptions,
): Required<Omit<GenerateOptions, 'stop' | 'seed'>> & { stop: readonly string[]; seed: number } {
  const maxTokens = options.maxTokens ?? 64;
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!(maxTokens >= 0) || !(temperature >= 0) || !(topK >= 0) || !(topP > 0 && topP <= 1)) {
    throw new InvalidInputError('generate needs maxTokens ≥ 0, temperature ≥ 0, topK ≥ 0 and 0 < topP ≤ 1', {
      maxTokens,
      temperature,
      topK,
      topP,
    });
  }
  return { maxTokens, temperature, topK, topP, stop: options.stop ?? [], seed: options.seed ?? 0 };
}

/**
 * The token-by-token loop shared by every model: `nextLogits(generated)` gives the next-token logits after
 * the tokens generated so far; this picks the token (greedy or sampled), stops on EOS, a stop string or
 * `maxTokens`. Seeded: the same seed gives the same tokens.
 */
export async function decodeTokens(
  nextLogits: (generated: readonly number[]) => Promise<ArrayLike<number>>,
  tokenizer: Pick<LmTokenizer, 'eosId' | 'decode'>,
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const { maxTokens, temperature, topK, topP, stop, seed } = resolveGenerateOptions(options);
  const rng = new Rng(seed);
  const generated: number[] = [];
  for (let step = 0; step < maxTokens; step++) {
    const logits = await nextLogits(generated);
    const next = temperature === 0 ? argmax(logits) : sampleToken(logits, temperature, topK, topP, rng);
    if (next === tokenizer.eosId)
      return { text: await tokenizer.decode(generated), tokens: generated, finishReason: 'eos' };
    generated.push(next);
    if (stop.length) {
      const text = await tokenizer.decode(generated);
      const hit = firstStop(text, stop);
      if (hit >= 0) return { text: text.slice(0, hit), tokens: generated, finishReason: 'stop' };
    }
  }
  return { text: await tokenizer.decode(generated), tokens: generated, finishReason: 'length' };
}

function firstStop(text: string, stops: readonly string[]): number {
  let best = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** Temperature, then top-k, then top-p, then one draw from the renormalised distribution. */
export function sampleToken(
  logits: ArrayLike<number>,
  temperature: number,
  topK: number,
  topP: number,
  rng: Rng,
): number {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const probs = order.map((i) => Math.exp((logits[i] - max) / temperature));
  let keep = topK > 0 ? Math.min(topK, n) : n;
  const total = probs.slice(0, keep).reduce((a, b) => a + b, 0);
  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < keep; j++) {
      cum += probs[j] / total;
      if (cum >= topP) {
        keep = j + 1;
        break;
      }
    }
  }
  const kept = probs.slice(0, keep);
  const z = kept.reduce((a, b) => a + b, 0);
  let u = rng.next() * z;
  for (let j = 0; j < keep; j++) {
    u -= kept[j];
    if (u < 0) return order[j];
  }
  return order[keep - 1];
}
