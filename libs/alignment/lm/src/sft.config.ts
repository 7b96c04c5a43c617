import { z } from 'zod';
import { InvalidInputError } from '@tessera/common';

/** Supervised fine-tuning on (prompt, completion) rows: loss on completion tokens only. */
export const sftConfigSchema = z.object({
  epochs: z.number().int().min(1).default(1),
  batchSize: z.number().int().min(1).default(16),
  /** Adam step size; small models need far more than TRL's 5e-7 (spec §10). */
  learningRate: z.number().positive().default(1e-3),
  /** Stop after this many optimiser steps (default: all epochs). */
  maxSteps: z.number().int().min(1).optional(),
  /** Clip the global gradient norm (0 = off). */
  clipNorm: z.number().min(0).default(1),
  seed: z.number().int().default(0),
});
export type SftConfig = z.output<typeof sftConfigSchema>;
export type SftConfigInput = z.input<typeof sftConfigSchema>;

export function parseSftConfig(input: SftConfigInput = {}): SftConfig {
  const r = sftConfigSchema.safeParse(input);
  if (!r.success)
    throw new InvalidInputError(
      `invalid SFT config: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}
