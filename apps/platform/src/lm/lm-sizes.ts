import { InvalidInputError } from '@tessera/common';

/** Named model sizes for `tessera train lm --size`; small is the spec's CPU plan (§10) scaled to this machine. */
export const LM_SIZES = {
  tiny: { contextLength: 64, dModel: 32, nHeads: 2, nLayers: 1, vocabSize: 512 },
  small: { contextLength: 128, dModel: 64, nHeads: 4, nLayers: 2, vocabSize: 2048 },
  base: { contextLength: 256, dModel: 128, nHeads: 4, nLayers: 4, vocabSize: 4096 },
} as const;

export type LmSize = keyof typeof LM_SIZES;

export function assertLmSize(size: string): LmSize {
  if (!(size in LM_SIZES))
    throw new InvalidInputError(`unknown model size "${size}"; known: ${Object.keys(LM_SIZES).join(', ')}`, { size });
  return size as LmSize;
}
