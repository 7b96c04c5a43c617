import { z } from 'zod';
import { parseOrThrow, preferenceBaseShape } from './preference-base.config';

/** DPO on paired data; `loss` picks the variant from `pairedLosses`. */
export const dpoConfigSchema = z.object({
  algorithm: z.literal('dpo'),
  ...preferenceBaseShape,
  loss: z.enum(['dpo-sigmoid', 'dpo-hinge', 'dpo-ipo']).default('dpo-sigmoid'),
  /** Conservative DPO label smoothing ε (sigmoid loss only). */
  labelSmoothing: z.number().min(0).max(0.5).default(0),
});
export type DpoConfig = z.output<typeof dpoConfigSchema>;
export type DpoConfigInput = z.input<typeof dpoConfigSchema>;

export function parseDpoConfig(input: Omit<DpoConfigInput, 'algorithm'> & { algorithm?: 'dpo' } = {}): DpoConfig {
  return parseOrThrow(dpoConfigSchema, { ...input, algorithm: 'dpo' }, 'DPO');
}
