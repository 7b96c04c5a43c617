import { Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import { IGNORE_INDEX, tokenLogProbs } from '@tessera/alignment/preference';
import { unknownTokenCount } from './generate-lm-text.usecase';
import { LmModels } from './lm-models.service';

export interface ScoreLmTextCommand {
  model?: string;
  prompt: string;
  continuations: string[];
}

export interface ScoredToken {
  id: number;
  /** The token's text; the end-of-sequence token is `''` with `eos: true`. */
  text: string;
  logProb: number;
  eos?: boolean;
}

export interface ScoredContinuation {
  continuation: string;
  /** log π(continuation + EOS | prompt): the sum of `tokens[].logProb`, the quantity preference losses use. */
  logProb: number;
  tokens: ScoredToken[];
}

export interface ScoreLmTextResult {
  model: string;
  results: ScoredContinuation[];
  warnings: string[];
}

const BATCH = 16;
export const MAX_CONTINUATIONS = 64;

/**
 * Exact log-probabilities of continuations given a prompt under a stored LM version, summed and per token.
 * Rows that do not fit the context are cut as in training (prompt from the left, continuation at the end)
 * and reported in `warnings`.
 */
@Injectable()
export class ScoreLmTextUsecase {
  constructor(private readonly lms: LmModels) {}

  async execute(cmd: ScoreLmTextCommand): Promise<ScoreLmTextResult> {
    if (typeof cmd.prompt !== 'string' || !cmd.prompt.trim()) throw new InvalidInputError('the prompt is empty');
    if (!cmd.continuations?.length) throw new InvalidInputError('give a continuation or a list of continuations');
    if (cmd.continuations.length > MAX_CONTINUATIONS)
      throw new InvalidInputError(`at most ${MAX_CONTINUATIONS} continuations per request`);
    const empty = cmd.continuations.findIndex((c) => typeof c !== 'string' || c.length === 0);
    if (empty >= 0) throw new InvalidInputError(`continuation ${empty} is empty`, { index: empty });
    const { record, model } = await this.lms.get(cmd.model);
    const warnings: string[] = [];
    const [promptIds] = await model.tokenizer.encodeBatch([cmd.prompt]);
    const unk = unknownTokenCount(model.tokenizer, promptIds);
    if (unk > 0) warnings.push(`${unk} prompt token(s) are unknown to this model's vocabulary`);
    const results: ScoredContinuation[] = [];
    const cutPrompts = new Set<number>();
    const cutContinuations: number[] = [];
    for (let start = 0; start < cmd.continuations.length; start += BATCH) {
      const batch = cmd.continuations.slice(start, start + BATCH);
      const enc = await model.encodeCompletions(batch.map((completion) => ({ prompt: cmd.prompt, completion })));
      enc.truncatedPrompts.forEach((i) => cutPrompts.add(start + i));
      enc.truncatedCompletions.forEach((i) => cutContinuations.push(start + i));
      const tok = tf.tidy(() => tokenLogProbs(model.logits(enc.inputIds), enc.labels));
      const [lp, labels] = await Promise.all([tok.data(), enc.labels.data()]);
      const width = enc.labels.shape[1];
      tf.dispose([tok, enc.inputIds, enc.labels]);
      for (let r = 0; r < batch.length; r++) {
        const tokens: ScoredToken[] = [];
        for (let j = 1; j < width; j++) {
          const id = labels[r * width + j];
          if (id === IGNORE_INDEX) continue;
          const logProb = lp[r * (width - 1) + j - 1];
          tokens.push(
            id === model.tokenizer.eosId
              ? { id, text: '', logProb, eos: true }
              : { id, text: await model.tokenizer.decode([id]), logProb },
          );
        }
        results.push({ continuation: batch[r], logProb: tokens.reduce((a, t) => a + t.logProb, 0), tokens });
      }
    }
    const context = model.config.contextLength;
    if (cutPrompts.size)
      warnings.push(
        `the prompt did not fit the ${context}-token context window with the continuation; its oldest tokens were dropped (continuations ${[...cutPrompts].join(', ')})`,
      );
    if (cutContinuations.length)
      warnings.push(
        `continuations ${cutContinuations.join(', ')} were cut to ${model.config.maxCompletionTokens} tokens; their log-probs cover the kept part only`,
      );
    return { model: record.version, results, warnings };
  }
}
