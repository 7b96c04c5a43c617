import { Injectable } from '@nestjs/common';
import { InvalidInputError } from '@tessera/common';
import { generateText, SubwordLmTokenizer, type LmTokenizer } from '@tessera/alignment/lm';
import { LmModels } from './lm-models.service';

export interface GenerateLmTextCommand {
  /** Version name; default `latest` (the newest ready version). */
  model?: string;
  prompt: string;
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

export interface GenerateLmTextResult {
  text: string;
  /** Generated token ids. */
  tokens: number[];
  finishReason: 'eos' | 'stop' | 'length';
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  warnings: string[];
}

const MAX_NEW_TOKENS = 1024;

/**
 * Continues a prompt with a stored LM version. A prompt longer than the context window keeps its most
 * recent tokens (leaving room to generate) and the response says so in `warnings`.
 */
@Injectable()
export class GenerateLmTextUsecase {
  constructor(private readonly lms: LmModels) {}

  async execute(cmd: GenerateLmTextCommand): Promise<GenerateLmTextResult> {
    if (typeof cmd.prompt !== 'string' || !cmd.prompt.trim()) throw new InvalidInputError('the prompt is empty');
    const maxTokens = cmd.maxTokens ?? 64;
    if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_NEW_TOKENS)
      throw new InvalidInputError(`maxTokens must be an integer from 1 to ${MAX_NEW_TOKENS}`, { maxTokens });
    const { record, model } = await this.lms.get(cmd.model);
    const { tokenizer } = model;
    const context = model.config.contextLength;
    const warnings: string[] = [];
    const ids = (await tokenizer.encodeBatch([cmd.prompt]))[0];
    const unk = unknownTokenCount(tokenizer, ids);
    if (unk > 0) warnings.push(`${unk} prompt token(s) are unknown to this model's vocabulary`);
    // BOS + prompt must fit, with room left to generate (at most half the window)
    const room = context - 1 - Math.min(maxTokens, Math.floor(context / 2));
    let prompt = cmd.prompt;
    let promptTokens = ids.length;
    if (ids.length > room) {
      prompt = await tokenizer.decode(ids.slice(ids.length - room));
      promptTokens = room;
      warnings.push(
        `the prompt has ${ids.length} tokens but the context window is ${context}; only its last ${room} tokens were used`,
      );
    }
    const out = await generateText(model, prompt, {
      maxTokens,
      temperature: cmd.temperature,
      topK: cmd.topK,
      topP: cmd.topP,
      stop: cmd.stop,
      seed: cmd.seed,
    });
    if (1 + promptTokens + out.tokens.length > context)
      warnings.push(
        `prompt and generated text passed the ${context}-token context window; the earliest tokens dropped out as generation went on`,
      );
    return {
      text: out.text,
      tokens: out.tokens,
      finishReason: out.finishReason,
      model: record.version,
      usage: { promptTokens, completionTokens: out.tokens.length },
      warnings,
    };
  }
}

/** Subword vocabularies map unseen text to [UNK]; byte-level ones have no unknown tokens. */
export function unknownTokenCount(tokenizer: LmTokenizer, ids: readonly number[]): number {
  if (!(tokenizer instanceof SubwordLmTokenizer)) return 0;
  const unkId = tokenizer.inner.unkId;
  return ids.filter((id) => id === unkId).length;
}
