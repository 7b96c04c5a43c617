import { z } from 'zod';
import { parseOrThrow, preferenceBaseShape } from './preference-base.config';

/** KTO on unpaired thumbs; z0 from mismatched completions each step (TRL behaviour). */
export const ktoConfigSchema = z.object({
  algorithm: z.literal('kto'),
  ...preferenceBaseShape,
  desirableWeight: z.number().min(0).default(1),
  undesirableWeight: z.number().min(0).default(1),
});
export type KtoConfig = z.output<typeof ktoConfigSchema>;
export type KtoConfigInput = z.input<typeof ktoConfigSchema>;

export function parseKtoConfig(input: Omit<KtoConfigInput, 'algorithm'> & { algorithm?: 'kto' } = {}): KtoConfig {
  return parseOrThrow(ktoConfigSchema, { ...input, algorithm: 'kto' }, 'KTO');
}
