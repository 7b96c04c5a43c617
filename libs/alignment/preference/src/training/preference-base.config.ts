import { z } from 'zod';
import { InvalidInputError } from '@tessera/common';

/** Settings every preference algorithm shares (defaults sized for the small CPU model of spec §10). */
export const preferenceBaseShape = {
  /** Implicit-reward temperature (TRL default 0.1). */
  beta: z.number().positive().default(0.1),
  /** Adam step size; the small model needs far more than TRL's 5e-7 (spec §10: 1e-4). */
  learningRate: z.number().positive().default(1e-4),
  batchSize: z.number().int().min(1).default(16),
  epochs: z.number().int().min(1).default(1),
  /** Stop after this many optimiser steps (default: all epochs). */
  maxSteps: z.number().int().min(1).optional(),
  /** Global gradient-norm clip (0 = off). */
  clipNorm: z.number().min(0).default(1),
  /** Save through the trainer's checkpoint callback every this many steps (0 = only at the end). */
  checkpointEvery: z.number().int().min(0).default(0),
  seed: z.number().int().default(0),
  /** Average completion-token log-probs instead of summing them (TRL sums; a flag for experiments). */
  averageLogProbs: z.boolean().default(false),
};

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new InvalidInputError(
      `invalid ${what} config: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}
