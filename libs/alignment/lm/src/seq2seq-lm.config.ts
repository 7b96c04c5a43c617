import { z } from 'zod';
import { InvalidInputError } from '@tessera/common';

/** Shape of the small encoder–decoder transformer; same building blocks and defaults as TransformerLm. */
export const seq2seqLmConfigSchema = z
  .object({
    vocabSize: z.number().int().min(2),
    /** Longest source, EOS included. */
    maxSourceLength: z.number().int().min(2).max(4096).default(64),
    /** Longest decoder input (BOS + target tokens); the target with EOS keeps at most this many tokens. */
    maxTargetLength: z.number().int().min(2).max(4096).default(64),
    dModel: z.number().int().min(4).default(64),
    nHeads: z.number().int().min(1).default(4),
    nEncoderLayers: z.number().int().min(1).max(48).default(2),
    nDecoderLayers: z.number().int().min(1).max(48).default(2),
    /** Feed-forward width; default 4·dModel. */
    dFf: z.number().int().min(4).optional(),
    seed: z.number().int().default(0),
  })
  .refine((c) => c.dModel % c.nHeads === 0, { message: 'dModel must be divisible by nHeads' });

export type Seq2SeqLmConfigInput = z.input<typeof seq2seqLmConfigSchema>;
export type Seq2SeqLmConfig = z.output<typeof seq2seqLmConfigSchema> & { dFf: number };

export function parseSeq2SeqLmConfig(input: Seq2SeqLmConfigInput): Seq2SeqLmConfig {
  const r = seq2seqLmConfigSchema.safeParse(input);
  if (!r.success) {
    throw new InvalidInputError(
      `invalid seq2seq LM config: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return { ...r.data, dFf: r.data.dFf ?? 4 * r.data.dModel };
}
