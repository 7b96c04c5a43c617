import { InvalidInputError, progressBar } from '@tessera/common';
import { pickLmRunOptions, TrainLmUsecase, type LmRunOptions } from '../../../platform/src';
import { withPlatform } from '../platform/with-platform';

/** The options `tessera train lm` reads (declared on TrainCommand, which owns the `train` verb). */
export interface TrainLmOptions extends Omit<LmRunOptions, 'splitSeed' | 'progress'> {
  source?: string;
  size?: string;
  tokenizer?: string;
  vocabSize?: number;
  context?: number;
  json?: boolean;
}

/** `tessera train lm`: SFT on a dialogue source, written as a named version with its card. */
export async function runTrainLm(options: TrainLmOptions): Promise<void> {
  if (!options.source) throw new InvalidInputError('--source is required: hh-rlhf, oasst2 or topical-chat');
  if (options.tokenizer && options.tokenizer !== 'subword' && options.tokenizer !== 'byte')
    throw new InvalidInputError(`--tokenizer must be subword or byte, got "${options.tokenizer}"`);
  const out = await withPlatform((ctx) =>
    ctx.get(TrainLmUsecase).execute({
      ...pickLmRunOptions(options),
      source: options.source!,
      size: options.size,
      tokenizer: options.tokenizer as 'subword' | 'byte' | undefined,
      vocabSize: options.vocabSize,
      model: options.context ? { contextLength: options.context } : undefined,
      progress: progressBar(`train lm (${options.source}, steps)`),
    }),
  );
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ version: out.version, dir: out.dir, card: out.card }, null, 2)}\n`);
    return;
  }
  const m = out.card.metrics;
  const lines = [
    `trained lm ${out.version} (sft on ${out.card.dataset.source}) → ${out.dir}`,
    `  ${out.card.data}`,
    `  model ${JSON.stringify(out.card.model)}`,
  ];
  if (out.resumedFromStep) lines.push(`  resumed from step ${out.resumedFromStep}`);
  if (m.heldOutLossBefore !== undefined && m.heldOutLossAfter !== undefined)
    lines.push(
      `  held-out loss ${m.heldOutLossBefore.toFixed(4)} → ${m.heldOutLossAfter.toFixed(4)} per token ` +
        `(perplexity ${m.heldOutPerplexityBefore.toFixed(1)} → ${m.heldOutPerplexityAfter.toFixed(1)})`,
    );
  lines.push(`  ${m.steps} steps in ${m.seconds.toFixed(1)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export const toNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidInputError(`expected a number, got "${v}"`);
  return n;
};
