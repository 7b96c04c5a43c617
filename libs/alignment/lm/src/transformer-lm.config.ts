import { z } from 'zod';
import { InvalidInputError } from '@tessera/common';

/** Shape of the small decoder-only transformer. Defaults follow the spec's CPU plan (§10), scaled down. */
export const transformerLmConfigSchema = z
  .object({
    vocabSize: z.number().int().min(2),
    contextLength: z.number().int().min(4).max(4096).default(128),
    dModel: z.number().int().min(4).default(64),
    nHeads: z.number().int().min(1).default(4),
    nLayers: z.number().int().min(1).max(48).default(2),
    /** Feed-forward width; default 4·dModel. */
    dFf: z.number().int().min(4).optional(),
    /** Longest completion kept when a row must be truncated (default contextLength / 2). */
    maxCompletionTokens: z.number().int().min(1).optional(),
    seed: z.number().int().default(0),
  })
  .refine((c) => c.dModel % c.nHeads === 0, { message: 'dModel must be divisible by nHeads' });

export type TransformerLmConfigInput = z.input<typeof transformerLmConfigSchema>;
export type TransformerLmConfig = z.output<typeof transformerLmConfigSchema> & {
  dFf: number;
  maxCompletionTokens: number;
};

export function parseTransformerLmConfig(input: TransformerLmConfigInput): TransformerLmConfig {
  const r = transformerLmConfigSchema.safeParse(input);
  if (!r.success) {
    throw new InvalidInputError(
      `invalid LM config: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return {
    ...r.data,
    dFf: r.data.dFf ?? 4 * r.data.dModel,
    maxCompletionTokens: Math.min(
      r.data.maxCompletionTokens ?? Math.floor(r.data.contextLength / 2),
      r.data.contextLength - 2,
    ),
  };
}
