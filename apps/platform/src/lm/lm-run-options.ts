import type { ProgressReporter } from '@tessera/common';
import { parseSftConfig } from '@tessera/alignment/lm';
import { parseDpoConfig } from '@tessera/alignment/preference';

/**
 * Settings every LM training run takes: `tessera train lm`, `tessera align` and the train.lm / align.lm jobs.
 * Unset fields take the defaults in `LM_RUN_DEFAULTS`.
 */
export interface LmRunOptions {
  /** The data file; default: the staged copy in ../shared/data/alignment. */
  path?: string;
  version?: string;
  /** Stop after this many optimiser steps in all (default: all epochs). */
  steps?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Seeded cap on training rows, for quick runs. */
  maxRows?: number;
  /** Held-out rows evaluated by the run. */
  heldOutRows?: number;
  /** Checkpoint every this many steps (0 = only at the start and the end). */
  checkpointEvery?: number;
  seed?: number;
  splitSeed?: number;
  progress?: ProgressReporter;
}

// The trainers' config schemas own their defaults; read here so the CLI help quotes the values in force.
const sft = parseSftConfig();
const preference = parseDpoConfig();

/** Defaults of the LM runs, for the use cases and the CLI help alike. */
export const LM_RUN_DEFAULTS = {
  size: 'small',
  seed: 1,
  heldOutRows: 128,
  checkpointEvery: 50,
  sft: { epochs: sft.epochs, batchSize: sft.batchSize, learningRate: sft.learningRate },
  /** DPO, KTO and BCO share these (the preference base config). */
  align: {
    epochs: preference.epochs,
    batchSize: preference.batchSize,
    learningRate: preference.learningRate,
    beta: preference.beta,
  },
} as const;

/** The shared run settings out of a wider options object (a CLI command's), leaving its other keys behind. */
export function pickLmRunOptions(o: LmRunOptions): LmRunOptions {
  const { path, version, steps, epochs, batchSize, learningRate, maxRows, heldOutRows, checkpointEvery, seed } = o;
  return { path, version, steps, epochs, batchSize, learningRate, maxRows, heldOutRows, checkpointEvery, seed };
}
