import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '@tessera/common';
import { loadCheckpoint, readCheckpointManifest, saveCheckpoint, type ParamStore } from '@tessera/tensor';
import type { VttwinsTextEncoder } from '../encoders/vttwins-text-encoder';
import type { VttwinsVideoEncoder } from '../encoders/vttwins-video-encoder';
import type { VttwinsConfig, VttwinsConfigValues } from './vttwins-config';
import { type VttwinsBatch, type VttwinsCheckpoint, type VttwinsProgress, VttwinsTrainer } from './vttwins-trainer';

export const VTTWINS_RESUME_KIND = 'vttwins-resume';

export interface VttwinsRunOptions {
  config: VttwinsConfig;
  video: VttwinsVideoEncoder;
  text: VttwinsTextEncoder;
  /** The one ParamStore both encoders keep their weights in (saved and restored as a whole). */
  store: ParamStore;
  /** The batch of a step; a function of the step number only, or a resumed run differs from an unbroken one. */
  nextBatch: (step: number) => VttwinsBatch;
  /**
   * Resume state folder: weights, Adam slots and the losses so far are written here (atomically) every
   * `config.checkpointEvery` steps. Without it the run keeps nothing on disk.
   */
  checkpointDir?: string;
  /** Continue from `checkpointDir` when it holds a checkpoint (default false: start over). */
  resume?: boolean;
  /**
   * What the run is made of besides the config (data, tokenizer, encoder shapes): a resume whose
   * fingerprint differs is refused instead of mixing two runs.
   */
  fingerprint?: Record<string, unknown>;
  onProgress?: (p: VttwinsProgress) => void;
  /** Stop after this step (for tests of interruption); the state is checkpointed there. */
  stopAfter?: number;
}

export interface VttwinsRunResult {
  /** Loss of every step from step 1, including those of an earlier, interrupted run. */
  losses: number[];
  /** Step the run continued from (0 when it started fresh). */
  resumedFrom: number;
  /** Steps done in total. */
  steps: number;
  /** False when `stopAfter` ended the run before `config.steps`. */
  finished: boolean;
}

interface ResumeMeta {
  kind: typeof VTTWINS_RESUME_KIND;
  step: number;
  losses: number[];
  config: VttwinsConfigValues;
  fingerprint: Record<string, unknown>;
}

// steps and the checkpoint interval may change between attempts; everything else shapes the result
const comparable = (c: VttwinsConfigValues) => {
  const { steps: _steps, checkpointEvery: _every, ...rest } = c;
  return rest;
};

export async function hasVttwinsResumeState(dir: string): Promise<boolean> {
  return stat(join(dir, 'manifest.json')).then(
    () => true,
    () => false,
  );
}

/** The saved step, losses and config of an interrupted run, or undefined when there is none. */
export async function readVttwinsResumeState(
  dir: string,
): Promise<{ step: number; losses: number[]; config: VttwinsConfigValues } | undefined> {
  if (!(await hasVttwinsResumeState(dir))) return undefined;
  const meta = (await readCheckpointManifest(dir)).meta as ResumeMeta | undefined;
  if (meta?.kind !== VTTWINS_RESUME_KIND) return undefined;
  return { step: meta.step, losses: meta.losses, config: meta.config };
}

/**
 * A VT-TWINS training run that survives interruption: every `checkpointEvery` steps (and at the end)
 * the encoders' weights, Adam's slots and step count and the losses so far go to `checkpointDir`;
 * a run started again with `resume` restores them and continues at the next step. Batches and TDA
 * draws depend on (seed, step) only, so the resumed run ends with the same weights as an unbroken one.
 */
export async function runVttwinsTraining(opts: VttwinsRunOptions): Promise<VttwinsRunResult> {
  const { config, checkpointDir } = opts;
  const fingerprint = opts.fingerprint ?? {};
  // losses of every step so far (earlier attempts included), kept current by the progress hook
  const losses: number[] = [];
  let resumedFrom = 0;
  const save = async (c: VttwinsCheckpoint): Promise<void> => {
    if (!checkpointDir) return;
    const meta: ResumeMeta = {
      kind: VTTWINS_RESUME_KIND,
      step: c.step,
      losses: losses.slice(0, c.step),
      config: c.config,
      fingerprint,
    };
    await saveCheckpoint(checkpointDir, opts.store, { optimizer: c.optimizer, meta: { ...meta } });
  };
  const trainer = new VttwinsTrainer(config, opts.video, opts.text, {
    onProgress: (p) => {
      losses.push(p.loss);
      opts.onProgress?.(p);
    },
    onCheckpoint: checkpointDir ? save : undefined,
  });
  try {
    if (opts.resume) {
      if (!checkpointDir) throw new NotFoundError('resume needs a checkpoint folder');
      if (!(await hasVttwinsResumeState(checkpointDir)))
        throw new NotFoundError(`no VT-TWINS training state to resume at ${checkpointDir}`, { dir: checkpointDir });
      const { meta } = await readCheckpointManifest(checkpointDir);
      const saved = meta as ResumeMeta | undefined;
      if (saved?.kind !== VTTWINS_RESUME_KIND)
        throw new ConflictError(`${checkpointDir} is not a VT-TWINS resume checkpoint`, { dir: checkpointDir });
      const was = JSON.stringify(comparable(saved.config));
      const now = JSON.stringify(comparable(config.toJSON()));
      if (was !== now)
        throw new ConflictError(`cannot resume: the checkpoint was trained with another config (${was} ≠ ${now})`, {
          saved: saved.config,
          requested: config.toJSON(),
        });
      if (JSON.stringify(saved.fingerprint) !== JSON.stringify(fingerprint))
        throw new ConflictError(
          'cannot resume: the training data, tokenizer or encoders changed since the checkpoint',
          {
            saved: saved.fingerprint,
            now: fingerprint,
          },
        );
      await loadCheckpoint(checkpointDir, opts.store, { optimizer: trainer.optimizer });
      trainer.resumeAt(saved.step);
      resumedFrom = saved.step;
      losses.push(...saved.losses.slice(0, saved.step));
    }
    await trainer.train(opts.nextBatch, { until: opts.stopAfter });
    const steps = trainer.steps;
    const finished = steps >= config.steps;
    // train() checkpoints on its interval and at the last step; an early stop is saved here
    if (!finished && (config.checkpointEvery === 0 || steps % config.checkpointEvery !== 0))
      await save(await trainer.checkpoint());
    return { losses: [...losses], resumedFrom, steps, finished };
  } finally {
    trainer.dispose();
  }
}

/** Removes a finished run's resume state. */
export async function clearVttwinsResumeState(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
