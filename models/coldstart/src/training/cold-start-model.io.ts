import type * as tf from '@tensorflow/tfjs';
import { CorruptDataError, NotFoundError, sha256 } from '@tessera/common';
import { renderModelCardMarkdown, type ModelCardEvaluation } from '@tessera/eval';
import { describeBackend, loadCheckpoint, saveCheckpoint } from '@tessera/tensor';
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  ItemContentTokenizer,
  type ItemContentTokenizerState,
  type ItemEncoderConfig,
  MediaPatchTokenizer,
  type MediaPatchTokenizerState,
} from '../encoder';
import type { ColdStartConfig } from './cold-start.config';
import { ColdStartModel } from './cold-start-model';
import type { LexicalCalibration } from './lexical-calibration';
import { decodeProfiles, encodeProfiles } from './lexical-channel';

export const COLDSTART_MODEL_ID = 'tessera-coldstart-encoder';

/** The model card saved with every model folder (ARCHITECTURE: data, config, metrics, backend). */
export interface ColdStartModelCard {
  modelId: typeof COLDSTART_MODEL_ID;
  version: string;
  createdAt: string;
  /** 'training' while a run is still improving it; 'complete' once the run ended. */
  status: 'training' | 'complete';
  dim: number;
  /** What it was trained on (dataset name, counts, split seed, positive rule, caveats). */
  data: Record<string, unknown>;
  config: ColdStartConfig;
  encoder: ItemEncoderConfig;
  /** Evaluation numbers (cold-validation Recall@K, test metrics when known). */
  metrics: Record<string, number>;
  training?: {
    epochsRun: number;
    bestEpoch: number;
    msPerEpoch: number;
    stoppedEarly?: boolean;
    /** Lexical models: α and γ as trained and as chosen on validation. */
    lexicalCalibration?: LexicalCalibration;
  };
  backend: { name: string; simd: boolean; threads: boolean };
  vocabularySha256?: string;
  /** sha256 of profiles.bin, the warm users' lexical profiles (models with the lexical channel only). */
  profilesSha256?: string;
  /** How images and video frames become tokens; absent for a model without media modalities. */
  media?: MediaPatchTokenizerState;
  seed: number;
  users: number;
  /** `tessera eval coldstart` results by dataset (mean ± sample sd over seeds, every method, K and setting). */
  evaluations?: Record<string, ModelCardEvaluation>;
}

/** The card fields a caller supplies; the rest is filled from the model. */
export type ModelCardInput = Omit<
  ColdStartModelCard,
  | 'modelId'
  | 'createdAt'
  | 'dim'
  | 'encoder'
  | 'backend'
  | 'vocabularySha256'
  | 'profilesSha256'
  | 'users'
  | 'media'
  | 'evaluations'
>;

export interface ColdStartOptimizers {
  encoder?: tf.Optimizer;
  users?: tf.Optimizer;
}

async function writeSynced(path: string, data: string | Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes a complete model folder atomically: everything goes to a staging folder beside `dir`
 * (two tensor checkpoints via @tessera/tensor, card.json and its card.md, tokenizer.json, users.json), which then
 * replaces `dir` by rename. Readers see the old model or the new one, never a mix.
 * With optimisers, their Adam state is saved too (resumable training).
 */
export async function saveColdStartModel(
  dir: string,
  model: ColdStartModel,
  card: ModelCardInput,
  optimizers: ColdStartOptimizers = {},
  extraFiles: Record<string, string> = {},
): Promise<ColdStartModelCard> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tag = randomUUID().slice(0, 8);
  const staging = join(parent, `.${basename(dir)}.staging-${tag}`);
  await mkdir(staging);
  const tokenizerState = model.tokenizer?.state();
  const backend = describeBackend();
  const profiles = model.lexical ? encodeProfiles(model.userProfiles) : undefined;
  const full: ColdStartModelCard = {
    ...card,
    modelId: COLDSTART_MODEL_ID,
    createdAt: new Date().toISOString(),
    dim: model.dim,
    encoder: model.encoder.config,
    backend: { name: backend.backend, simd: backend.simd, threads: backend.threads },
    ...(tokenizerState ? { vocabularySha256: sha256(JSON.stringify(tokenizerState)) } : {}),
    ...(model.media ? { media: model.media.state() } : {}),
    ...(profiles ? { profilesSha256: sha256(profiles) } : {}),
    users: model.userIds.length,
  };
  try {
    await saveCheckpoint(join(staging, 'encoder'), model.store, {
      optimizer: optimizers.encoder,
      meta: { modelId: COLDSTART_MODEL_ID, part: 'encoder' },
    });
    await saveCheckpoint(join(staging, 'users'), model.userStore, {
      optimizer: optimizers.users,
      meta: { modelId: COLDSTART_MODEL_ID, part: 'users' },
    });
    if (tokenizerState) await writeSynced(join(staging, 'tokenizer.json'), JSON.stringify(tokenizerState, null, 1));
    await writeSynced(join(staging, 'users.json'), JSON.stringify(model.userIds));
    if (profiles) await writeSynced(join(staging, 'profiles.bin'), profiles);
    for (const [name, text] of Object.entries(extraFiles)) await writeSynced(join(staging, basename(name)), text);
    await writeSynced(join(staging, 'card.json'), JSON.stringify(full, null, 2));
    await writeSynced(join(staging, 'card.md'), renderModelCardMarkdown(full));
    const old = join(parent, `.${basename(dir)}.old-${tag}`);
    const had = await exists(dir);
    if (had) await rename(dir, old);
    await rename(staging, dir);
    if (had) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  return full;
}

export async function readJson<T>(path: string): Promise<T> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (e) {
    throw new NotFoundError(`model file ${path} is missing`, { path }, { cause: e });
  }
  try {
    return JSON.parse(raw) as T;
  } catch (e) {
    throw new CorruptDataError(`model file ${path} is not valid JSON`, { path }, { cause: e });
  }
}

/**
 * Loads a model folder written by saveColdStartModel (any version, forever: the card holds the
 * full encoder config). Checksums are verified by the tensor checkpoints before anything is assigned.
 * Pass fresh optimisers to restore their state for resuming.
 */
export async function loadColdStartModel(
  dir: string,
  optimizers: ColdStartOptimizers = {},
): Promise<{ model: ColdStartModel; card: ColdStartModelCard }> {
  const card = await readJson<ColdStartModelCard>(join(dir, 'card.json'));
  if (card.modelId !== COLDSTART_MODEL_ID)
    throw new CorruptDataError(`${dir} holds '${card.modelId}', not a cold-start encoder`, { dir });
  const userIds = await readJson<number[]>(join(dir, 'users.json'));
  let tokenizer: ItemContentTokenizer | undefined;
  if (card.vocabularySha256) {
    const state = await readJson<ItemContentTokenizerState>(join(dir, 'tokenizer.json'));
    if (sha256(JSON.stringify(state)) !== card.vocabularySha256)
      throw new CorruptDataError(`${dir}/tokenizer.json does not match its card`, { dir });
    tokenizer = ItemContentTokenizer.fromState(state);
  }
  const media = card.media ? MediaPatchTokenizer.fromState(card.media) : undefined;
  const model = new ColdStartModel(
    {
      ...card.encoder,
      userTower: card.config?.userTower,
      lexical: card.config?.lexical,
      lexicalWeights: card.config?.lexicalWeights,
      lexicalMinDf: card.config?.lexicalMinDf,
    },
    userIds,
    tokenizer,
    media,
  );
  try {
    await loadCheckpoint(join(dir, 'encoder'), model.store, { optimizer: optimizers.encoder });
    await loadCheckpoint(join(dir, 'users'), model.userStore, { optimizer: optimizers.users });
    if (model.lexical) {
      const path = join(dir, 'profiles.bin');
      const blob = await readFile(path).catch((e: unknown) => {
        throw new NotFoundError(`model file ${path} is missing`, { path }, { cause: e });
      });
      if (sha256(blob) !== card.profilesSha256) throw new CorruptDataError(`${path} does not match its card`, { path });
      model.setProfiles(decodeProfiles(blob));
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, card };
}
