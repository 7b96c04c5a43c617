import type * as tf from '@tensorflow/tfjs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertModelVersion } from '@tessera/common';
import { saveLmCheckpoint, type LmModelCard, type TransformerLm } from '@tessera/alignment/lm';
import { TrainingDivergedError, type PromptCompletion } from '@tessera/alignment/preference';
import type { JsonObject, ModelRepository } from '@tessera/db';

/** Registry id of every language-model version (SFT and aligned alike). */
export const LM_MODEL_ID = 'tessera-lm';
export const LM_KIND = 'lm';

/** What produced a version: supervised fine-tuning or one of the preference algorithms. */
export type LmTrainingKind = 'sft' | 'dpo' | 'kto' | 'bco';

/**
 * The card stored with each version (in the registry and in the checkpoint's meta.json):
 * data, config, metrics and backend, and for aligned versions the frozen reference.
 */
export interface LmVersionCard {
  modelId: typeof LM_MODEL_ID;
  version: string;
  kind: LmTrainingKind;
  createdAt: string;
  /** One line saying what the weights were trained on. */
  data: string;
  dataset: Record<string, unknown>;
  model: Record<string, unknown>;
  tokenizer: Record<string, unknown>;
  training: Record<string, unknown>;
  metrics: Record<string, number>;
  backend: string;
  /** Aligned versions: the SFT version used as the frozen reference and starting policy. */
  reference?: string;
  warnings?: string[];
  [key: string]: unknown;
}

/** A fresh version name from the clock, e.g. `sft-20261125T170301`. */
export function newLmVersionName(prefix: string): string {
  return `${prefix}-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
}

/** The version's folder relative to the data folder; weights never live in git. */
export function lmVersionDir(version: string): string {
  return join('models', 'lm', assertModelVersion(version));
}

/** Where resume state is kept inside a checkpoint's state.json. */
export interface LmRunState {
  phase: LmTrainingKind;
  /** Optimiser steps completed when the checkpoint was written. */
  step: number;
  [key: string]: unknown;
}

/**
 * Writes the version folder atomically (weights, tokenizer, meta.json with the card, state.json), then a
 * readable copy of the card as card.json.
 */
export async function writeLmVersion(
  dir: string,
  model: TransformerLm,
  card: LmVersionCard,
  state: LmRunState,
  /** The run's optimiser, saved with the weights so a resume continues its moments. */
  optimizer?: tf.Optimizer,
): Promise<void> {
  await saveLmCheckpoint(dir, model, card as LmModelCard & LmVersionCard, { step: state.step, state, optimizer });
  await writeFile(join(dir, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
}

/** Card metrics keep finite numbers only (JSON has no NaN). */
export function finiteMetrics(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
}

/**
 * A checkpoint is only good if its weights still give finite log-probs: an update can leave huge but finite
 * weights whose next forward pass overflows. Checked on a few training rows before each save.
 */
export async function assertFiniteLogProbs(model: TransformerLm, rows: readonly PromptCompletion[], step: number) {
  const lp = await model.completionLogProbs(rows.slice(0, 4));
  if (!lp.every(Number.isFinite))
    throw new TrainingDivergedError(`log-probs became non-finite after step ${step}; that update is not checkpointed`, {
      step,
    });
}

/**
 * A run's version in the registry: a new one is registered as `training` at once; an unfinished or failed
 * one of the same name (`registered`) is marked `training` again.
 */
export async function startLmVersion(
  models: ModelRepository,
  card: LmVersionCard,
  where: { registered: boolean; dir: string; dim: number },
): Promise<void> {
  if (where.registered) {
    await models.setStatus(LM_MODEL_ID, card.version, 'training');
    return;
  }
  await models.register({
    modelId: LM_MODEL_ID,
    version: card.version,
    kind: LM_KIND,
    dir: where.dir,
    dim: where.dim,
    card: card as unknown as JsonObject,
    status: 'training',
  });
}

/** The finished run's card goes to the registry and the version becomes servable. */
export async function finishLmVersion(models: ModelRepository, card: LmVersionCard): Promise<void> {
  await models.updateCard(LM_MODEL_ID, card.version, card as unknown as JsonObject);
  await models.setStatus(LM_MODEL_ID, card.version, 'ready');
}

/** A run that threw leaves its version, if registered, `failed`. */
export async function failLmVersion(models: ModelRepository, version: string): Promise<void> {
  if (await models.find(LM_MODEL_ID, version)) await models.setStatus(LM_MODEL_ID, version, 'failed');
}

/**
 * A diverged run's error, extended to say where its last good checkpoint is kept (`hint`: what to do next);
 * any other error is returned as it is.
 */
export function withLastGoodCheckpoint(
  e: unknown,
  last: { version: string; dir: string; step: number; hint?: string },
): unknown {
  if (!(e instanceof TrainingDivergedError)) return e;
  return new TrainingDivergedError(
    `${e.message}. The run stopped; the last good checkpoint (step ${last.step}) is kept at ${last.dir}` +
      (last.hint ? ` ${last.hint}` : ''),
    { ...e.details, version: last.version, lastGoodCheckpoint: last.dir, lastGoodStep: last.step },
    { cause: e },
  );
}
