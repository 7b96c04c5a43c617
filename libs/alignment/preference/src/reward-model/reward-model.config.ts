import { z } from 'zod';
import { InvalidInputError } from '@tessera/common';

/** Training of a Bradley–Terry reward model on preference pairs (training split only). */
export const rewardModelConfigSchema = z.object({
  epochs: z.number().int().min(1).default(1),
  /** Pairs per step (each step scores 2× this many rows). */
  batchSize: z.number().int().min(1).default(16),
  learningRate: z.number().positive().default(1e-3),
  maxSteps: z.number().int().min(1).optional(),
  /** Clip the global gradient norm (0 = off). */
  clipNorm: z.number().min(0).default(1),
  pooling: z.enum(['last', 'mean']).default('last'),
  seed: z.number().int().default(0),
});
export type RewardModelConfig = z.output<typeof rewardModelConfigSchema>;
export type RewardModelConfigInput = z.input<typeof rewardModelConfigSchema>;

export function parseRewardModelConfig(input: RewardModelConfigInput = {}): RewardModelConfig {
  const r = rewardModelConfigSchema.safeParse(input);
  if (!r.success) {
    throw new InvalidInputError(
      `invalid reward model config: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return r.data;
}
