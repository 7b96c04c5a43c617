import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CorruptDataError, InvalidInputError, NotFoundError, newId, sha256 } from '@tessera/common';
import { ByteTokenizer } from './byte-tokenizer';
import type { LmTokenizer } from './lm-tokenizer';
import { SubwordLmTokenizer } from './subword-lm-tokenizer';
import { Seq2SeqLm } from './seq2seq-lm';
import type { Seq2SeqLmConfig } from './seq2seq-lm.config';
import { type NamedWeight, TransformerLm } from './transformer-lm';
import type { TransformerLmConfig } from './transformer-lm.config';

export const LM_CHECKPOINT_FORMAT = 'tessera-lm/1';

/** What a reader needs to trust a checkpoint: data, config, metrics, backend. */
export interface LmModelCard {
  modelId: string;
  /** Data the weights were trained on, e.g. "hh-rlhf harmless-base test, train split (seed 13)". */
  data?: string;
  training?: Record<string, unknown>;
  metrics?: Record<string, number>;
  notes?: string;
}

/** Which architecture a checkpoint holds; absent in checkpoints written before the encoder–decoder model. */
export type LmCheckpointKind = 'decoder' | 'seq2seq';

export interface LmCheckpointMeta<C = TransformerLmConfig> {
  format: string;
  kind?: LmCheckpointKind;
  config: C;
  tokenizer: { fingerprint: string; spec: Record<string, unknown> };
  weights: { name: string; shape: number[]; offset: number }[];
  weightsSha256: string;
  step: number;
  seed: number;
  backend: string;
  savedAt: string;
  card: LmModelCard;
}

/**
 * Writes `meta.json` (config, weight layout, model card), `weights.bin`, the tokenizer folder and optional `state.json` (e.g. the
 * BCO running mean and UDM classifier) to a temporary folder beside `dir`, flushes, then renames it into
 * place, so a crash never leaves a half-written checkpoint.
 */
export async function saveLmCheckpoint(
  dir: string,
  model: TransformerLm,
  card: LmModelCard,
  options: LmCheckpointWriteOptions = {},
): Promise<LmCheckpointMeta> {
  return writeCheckpoint(dir, model, 'decoder', card, options);
}

/** `saveLmCheckpoint` for the encoder–decoder model: same files, `kind: "seq2seq"`. */
export async function saveSeq2SeqCheckpoint(
  dir: string,
  model: Seq2SeqLm,
  card: LmModelCard,
  options: LmCheckpointWriteOptions = {},
): Promise<LmCheckpointMeta<Seq2SeqLmConfig>> {
  return writeCheckpoint(dir, model, 'seq2seq', card, options);
}

export interface LmCheckpointWriteOptions {
  step?: number;
  state?: Record<string, unknown>;
  /** The Adam training the model: its moments and step count go to optimizer.bin, so a resumed run continues it. */
  optimizer?: tf.Optimizer;
}

interface CheckpointableLm<C> {
  readonly config: C & { seed: number };
  readonly tokenizer: LmTokenizer;
  readonly tokenizerFingerprint: string;
  namedWeights(): NamedWeight[];
}

async function writeCheckpoint<C>(
  dir: string,
  model: CheckpointableLm<C>,
  kind: LmCheckpointKind,
  card: LmModelCard,
  options: LmCheckpointWriteOptions,
): Promise<LmCheckpointMeta<C>> {
  const named = model.namedWeights();
  const parts = await Promise.all(named.map((w) => w.variable.data() as Promise<Float32Array>));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const flat = new Float32Array(total);
  const weights: LmCheckpointMeta<C>['weights'] = [];
  let offset = 0;
  named.forEach((w, i) => {
    flat.set(parts[i], offset);
    weights.push({ name: w.name, shape: w.variable.shape, offset });
    offset += parts[i].length;
  });
  const bytes = new Uint8Array(flat.buffer);
  const meta: LmCheckpointMeta<C> = {
    format: LM_CHECKPOINT_FORMAT,
    kind,
    config: model.config,
    tokenizer: { fingerprint: model.tokenizerFingerprint, spec: model.tokenizer.describe() },
    weights,
    weightsSha256: sha256(bytes),
    step: options.step ?? 0,
    seed: model.config.seed,
    backend: tf.getBackend(),
    savedAt: new Date().toISOString(),
    card,
  };
  await mkdir(dirname(dir), { recursive: true });
  const tmp = join(dirname(dir), `.${basename(dir)}.${newId('tmp')}`);
  await mkdir(tmp);
  try {
    await writeSynced(join(tmp, 'weights.bin'), bytes);
    await model.tokenizer.save(join(tmp, 'tokenizer'));
    if (options.state) await writeSynced(join(tmp, 'state.json'), JSON.stringify(options.state));
    if (options.optimizer) {
      const saved = await optimizerSlots(options.optimizer, model.namedWeights());
      await writeSynced(join(tmp, 'optimizer.bin'), saved.bytes);
      await writeSynced(join(tmp, 'optimizer.json'), JSON.stringify(saved.layout, null, 1));
    }
    await writeSynced(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
    const old = join(dirname(dir), `.${basename(dir)}.${newId('old')}`);
    let moved = false;
    try {
      await rename(dir, old);
      moved = true;
    } catch {
      // no previous checkpoint
    }
    await rename(tmp, dir);
    if (moved) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return meta;
}

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface LoadedLm {
  model: TransformerLm;
  meta: LmCheckpointMeta;
  state?: Record<string, unknown>;
}

export interface LoadedSeq2SeqLm {
  model: Seq2SeqLm;
  meta: LmCheckpointMeta<Seq2SeqLmConfig>;
  state?: Record<string, unknown>;
}

export interface LoadLmOptions {
  loadTokenizer?: (dir: string, spec: Record<string, unknown>) => Promise<LmTokenizer>;
  trainable?: boolean;
}

/**
 * Loads a checkpoint written by `saveLmCheckpoint`. Byte and `@tessera/text` subword tokenizers are rebuilt
 * automatically; other kinds come from `loadTokenizer`. Sizes and the weights hash are checked before any weight is set.
 */
export async function loadLmCheckpoint(dir: string, options: LoadLmOptions = {}): Promise<LoadedLm> {
  return readCheckpoint<TransformerLmConfig, TransformerLm>(
    dir,
    'decoder',
    (config, tokenizer, trainable) => new TransformerLm(config, tokenizer, { trainable }),
    options,
  );
}

/** Loads a checkpoint written by `saveSeq2SeqCheckpoint`; a decoder-only checkpoint is refused, and vice versa. */
export async function loadSeq2SeqCheckpoint(dir: string, options: LoadLmOptions = {}): Promise<LoadedSeq2SeqLm> {
  return readCheckpoint<Seq2SeqLmConfig, Seq2SeqLm>(
    dir,
    'seq2seq',
    (config, tokenizer, trainable) => new Seq2SeqLm(config, tokenizer, { trainable }),
    options,
  );
}

async function readCheckpoint<C, M extends { namedWeights(): NamedWeight[]; dispose(): void }>(
  dir: string,
  kind: LmCheckpointKind,
  build: (config: C, tokenizer: LmTokenizer, trainable: boolean) => M,
  options: LoadLmOptions,
): Promise<{ model: M; meta: LmCheckpointMeta<C>; state?: Record<string, unknown> }> {
  let metaText: string;
  try {
    metaText = await readFile(join(dir, 'meta.json'), 'utf8');
  } catch (e) {
    throw new NotFoundError(`no LM checkpoint at ${dir}`, { dir }, { cause: e });
  }
  const meta = parseJson(metaText, 'meta.json') as LmCheckpointMeta<C>;
  if (meta.format !== LM_CHECKPOINT_FORMAT)
    throw new CorruptDataError(`unknown checkpoint format ${String(meta.format)}`);
  const found = meta.kind ?? 'decoder';
  if (found !== kind) {
    throw new InvalidInputError(`checkpoint at ${dir} holds a "${String(found)}" model, not a "${kind}" one`, {
      dir,
      found,
      expected: kind,
    });
  }
  const bytes = new Uint8Array(await readFile(join(dir, 'weights.bin')));
  if (sha256(bytes) !== meta.weightsSha256)
    throw new CorruptDataError(`weights.bin in ${dir} does not match its recorded sha256`);
  const spec = meta.tokenizer.spec;
  const tokenizer =
    spec.kind === 'byte'
      ? new ByteTokenizer()
      : spec.kind === 'subword'
        ? await SubwordLmTokenizer.load(join(dir, 'tokenizer'))
        : await options.loadTokenizer?.(join(dir, 'tokenizer'), spec);
  if (!tokenizer)
    throw new InvalidInputError(`checkpoint uses tokenizer kind "${String(spec.kind)}"; pass loadTokenizer to load it`);
  if (tokenizer.fingerprint() !== meta.tokenizer.fingerprint)
    throw new CorruptDataError('tokenizer fingerprint differs from the one recorded in the checkpoint');
  const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const model = build(meta.config, tokenizer, options.trainable ?? true);
  const byName = new Map(meta.weights.map((w) => [w.name, w]));
  try {
    for (const { name, variable } of model.namedWeights()) {
      const w = byName.get(name);
      const size = variable.size;
      if (!w || w.shape.join() !== variable.shape.join() || w.offset + size > flat.length) {
        throw new CorruptDataError(`checkpoint weight ${name} is missing or has the wrong shape`);
      }
      const t = tf.tensor(flat.subarray(w.offset, w.offset + size), variable.shape);
      variable.assign(t);
      t.dispose();
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  let state: Record<string, unknown> | undefined;
  try {
    state = parseJson(await readFile(join(dir, 'state.json'), 'utf8'), 'state.json') as Record<string, unknown>;
  } catch (e) {
    if (e instanceof CorruptDataError) throw e;
  }
  return { model, meta, state };
}

/** optimizer.json: where each of Adam's slots lies in optimizer.bin, under the checkpoint's stable weight names. */
interface OptimizerLayout {
  className: string;
  iterations: number;
  sha256: string;
  slots: { weight: string; kind: string; shape: number[]; offset: number }[];
}

async function optimizerSlots(
  optimizer: tf.Optimizer,
  named: NamedWeight[],
): Promise<{ bytes: Uint8Array; layout: OptimizerLayout }> {
  const stable = new Map(named.map((w) => [w.variable.name, w.name]));
  let iterations = 0;
  const slots: OptimizerLayout['slots'] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const w of await optimizer.getWeights()) {
    if (w.name === 'iter') {
      iterations = (await w.tensor.data())[0];
      w.tensor.dispose(); // a fresh scalar; the slots below are the optimiser's own variables
      continue;
    }
    // TF.js names a slot `<variable name>/<kind>` (Adam: m and v).
    const slash = w.name.lastIndexOf('/');
    const weight = stable.get(w.name.slice(0, slash));
    if (!weight) throw new InvalidInputError(`optimizer slot ${w.name} belongs to no weight of this model`);
    const data = (await w.tensor.data()) as Float32Array;
    slots.push({ weight, kind: w.name.slice(slash + 1), shape: w.tensor.shape, offset });
    parts.push(data);
    offset += data.length;
  }
  const flat = new Float32Array(offset);
  let at = 0;
  for (const p of parts) {
    flat.set(p, at);
    at += p.length;
  }
  const bytes = new Uint8Array(flat.buffer);
  const className = (optimizer as unknown as { getClassName?: () => string }).getClassName?.() ?? 'unknown';
  return { bytes, layout: { className, iterations, sha256: sha256(bytes), slots } };
}

/**
 * Puts the optimiser state saved with a checkpoint (`optimizer` of saveLmCheckpoint) into a fresh optimiser of
 * the same kind for `model`, loaded from that checkpoint. Returns false when the checkpoint holds no optimiser
 * state (older checkpoints): the run then continues with fresh moments.
 */
export async function restoreLmOptimizer(
  dir: string,
  model: { namedWeights(): NamedWeight[]; trainableVariables(): tf.Variable[] },
  optimizer: tf.Optimizer,
): Promise<boolean> {
  let layoutText: string;
  try {
    layoutText = await readFile(join(dir, 'optimizer.json'), 'utf8');
  } catch {
    return false;
  }
  const layout = parseJson(layoutText, 'optimizer.json') as OptimizerLayout;
  const className = (optimizer as unknown as { getClassName?: () => string }).getClassName?.();
  if (className && layout.className !== className)
    throw new InvalidInputError(`checkpoint holds ${layout.className} state, the optimizer is ${className}`);
  const bytes = new Uint8Array(await readFile(join(dir, 'optimizer.bin')));
  if (sha256(bytes) !== layout.sha256)
    throw new CorruptDataError(`optimizer.bin in ${dir} does not match its recorded sha256`);
  const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const stable = new Map(model.namedWeights().map((w) => [w.variable.name, w.name]));
  const byKind = new Map<string, Map<string, OptimizerLayout['slots'][number]>>();
  for (const slot of layout.slots) {
    if (!byKind.has(slot.kind)) byKind.set(slot.kind, new Map());
    byKind.get(slot.kind)!.set(slot.weight, slot);
  }
  // TF.js matches slots by position, in the order variables reach applyGradients, grouped by kind:
  // [iter, every m..., every v...]. Rebuild that order with this model's variable names.
  const named: { name: string; tensor: tf.Tensor }[] = [
    { name: 'iter', tensor: tf.scalar(layout.iterations, 'int32') },
  ];
  try {
    for (const [kind, slots] of byKind) {
      for (const v of model.trainableVariables()) {
        const slot = slots.get(stable.get(v.name) ?? '');
        if (!slot) continue;
        const size = slot.shape.reduce((a, b) => a * b, 1);
        if (slot.shape.join() !== v.shape.join() || slot.offset + size > flat.length)
          throw new CorruptDataError(
            `optimizer slot ${slot.weight}/${kind} has the wrong shape or lies outside the file`,
          );
        named.push({
          name: `${v.name}/${kind}`,
          tensor: tf.tensor(flat.subarray(slot.offset, slot.offset + size), v.shape),
        });
      }
    }
    tf.dispose((await optimizer.getWeights()).map((w) => w.tensor));
    await optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
  return true;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CorruptDataError(`${what} is not valid JSON`, {}, { cause: e });
  }
}
