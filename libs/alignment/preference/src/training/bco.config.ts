import { z } from 'zod';
import { parseOrThrow, preferenceBaseShape } from './preference-base.config';

/** BCO on unpaired thumbs: reward shift δ (cumulative running mean) and optional UDM. */
export const bcoConfigSchema = z.object({
  algorithm: z.literal('bco'),
  ...preferenceBaseShape,
  /** false trains plain BCE (δ = 0), the baseline BCO improves on. */
  rewardShift: z.boolean().default(true),
  /** Reference code folds the current batch into δ before using it. */
  deltaUpdate: z.enum(['beforeUse', 'afterUse']).default('beforeUse'),
  udm: z
    .object({
      enabled: z.boolean().default(false),
      promptSampleSize: z.number().int().min(2).default(1024),
      minDensityRatio: z.number().positive().default(0.5),
      maxDensityRatio: z.number().positive().default(10),
    })
    .prefault({}),
});
export type BcoConfig = z.output<typeof bcoConfigSchema>;
export type BcoConfigInput = z.input<typeof bcoConfigSchema>;

export function parseBcoConfig(input: Omit<BcoConfigInput, 'algorithm'> & { algorithm?: 'bco' } = {}): BcoConfig {
  return parseOrThrow(bcoConfigSchema, { ...input, algorithm: 'bco' }, 'BCO');
}
