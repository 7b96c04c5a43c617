import * as tf from '@tensorflow/tfjs';
import { ConflictError, CorruptDataError, DimensionMismatchError, NotFoundError, sha256 } from '@tessera/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParamStore } from '../layers/param-store';
import { writeFolderAtomically } from './atomic-folder';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointEntry,
  type CheckpointManifest,
} from './checkpoint-manifest';

export interface SaveCheckpointOptions {
  /** Its slots (Adam's m and v, the step count) are saved under the parameter names. */
  optimizer?: tf.Optimizer;
  /** Written as meta.json: modelId, dim, vocabulary hash, seed, step... */
  meta?: Record<string, unknown>;
}

export interface LoadCheckpointOptions {
  /** A fresh optimiser of the same kind to receive the saved slots. */
  optimizer?: tf.Optimizer;
  /** Refuse a checkpoint that lacks some parameter of the store (default true). */
  strict?: boolean;
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  meta: Record<string, unknown> | undefined;
}

/**
 * Saves the store's variables (and optionally the optimiser state) to `dir` as
 * weights.bin + manifest.json + meta.json, atomically (temp folder beside it, fsync, rename).
 * Works on every backend; needs no tf.io file handler (only tfjs-node has one).
 */
export async function saveCheckpoint(
  dir: string,
  store: ParamStore,
  opts: SaveCheckpointOptions = {},
): Promise<CheckpointManifest> {
  const tensors: { entry: Omit<CheckpointEntry, 'offset' | 'byteLength'>; data: Float32Array | Int32Array }[] = [];
  for (const [name, v] of store.entries()) {
    tensors.push({
      entry: { name, group: 'params', shape: v.shape, dtype: toDtype(v.dtype, name) },
      data: (await v.data()) as Float32Array,
    });
  }
  let optimizerInfo: CheckpointManifest['optimizer'];
  if (opts.optimizer) {
    const byVar = new Map(store.entries().map(([name, v]) => [v.name, name]));
    const weights = await opts.optimizer.getWeights();
    let iterations = 0;
    for (const w of weights) {
      if (w.name === 'iter') {
        iterations = (await w.tensor.data())[0];
        tensors.push({
          entry: { name: 'iter', group: 'optimizer', shape: [], dtype: 'int32' },
          data: Int32Array.of(iterations),
        });
        w.tensor.dispose(); // getWeights makes a fresh scalar for it
        continue;
      }
      const slash = w.name.lastIndexOf('/');
      const varName = w.name.slice(0, slash);
      const param = byVar.get(varName);
      if (!param)
        throw new NotFoundError(`optimizer slot '${w.name}' belongs to no parameter of this store`, { slot: w.name });
      tensors.push({
        entry: {
          name: `${param}${w.name.slice(slash)}`,
          group: 'optimizer',
          shape: w.tensor.shape,
          dtype: toDtype(w.tensor.dtype, w.name),
        },
        data: (await w.tensor.data()) as Float32Array,
      });
    }
    const ser = opts.optimizer as unknown as { getClassName?: () => string; getConfig?: () => Record<string, unknown> };
    optimizerInfo = { className: ser.getClassName?.() ?? 'unknown', config: ser.getConfig?.() ?? {}, iterations };
  }
  let offset = 0;
  const entries: CheckpointEntry[] = tensors.map(({ entry, data }) => {
    const e = { ...entry, offset, byteLength: data.byteLength };
    offset += data.byteLength;
    return e;
  });
  const weights = new Uint8Array(offset);
  tensors.forEach(({ data }, i) =>
    weights.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), entries[i].offset),
  );
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    weightsSha256: sha256(weights),
    weightsBytes: weights.byteLength,
    entries,
    ...(optimizerInfo ? { optimizer: optimizerInfo } : {}),
    backend: tf.getBackend(),
  };
  const files: Record<string, Uint8Array | string> = {
    'weights.bin': weights,
    'manifest.json': JSON.stringify(manifest, null, 1),
  };
  if (opts.meta) files['meta.json'] = JSON.stringify(opts.meta, null, 2);
  await writeFolderAtomically(dir, files);
  return manifest;
}

/** Reads and checks manifest.json and meta.json without touching any tensor. */
export async function readCheckpointManifest(dir: string): Promise<LoadedCheckpoint> {
  let raw: string;
  try {
    raw = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (e) {
    throw new NotFoundError(`no checkpoint at ${dir} (manifest.json missing)`, { dir }, { cause: e });
  }
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(raw) as CheckpointManifest;
  } catch (e) {
    throw new CorruptDataError(`checkpoint manifest at ${dir} is not valid JSON`, { dir }, { cause: e });
  }
  if (manifest.format !== CHECKPOINT_FORMAT || !Array.isArray(manifest.entries)) {
    throw new CorruptDataError(`${dir}/manifest.json is not a tessera tensor checkpoint`, {
      dir,
      format: manifest.format,
    });
  }
  if (manifest.version > CHECKPOINT_VERSION) {
    throw new ConflictError(`checkpoint version ${manifest.version} is newer than supported ${CHECKPOINT_VERSION}`, {
      dir,
    });
  }
  let meta: Record<string, unknown> | undefined;
  try {
    meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new CorruptDataError(`${dir}/meta.json is unreadable`, { dir }, { cause: e });
  }
  return { manifest, meta };
}

/**
 * Loads a checkpoint into `store` (shapes must match) and, when given, a fresh optimiser.
 * Validates the manifest and the weights checksum before assigning anything, so a corrupt
 * file leaves the store untouched.
 */
export async function loadCheckpoint(
  dir: string,
  store: ParamStore,
  opts: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  const loaded = await readCheckpointManifest(dir);
  const { manifest } = loaded;
  const bytes = await readFile(join(dir, 'weights.bin')).catch((e: unknown) => {
    throw new CorruptDataError(`${dir}/weights.bin is missing or unreadable`, { dir }, { cause: e });
  });
  if (bytes.byteLength !== manifest.weightsBytes || sha256(bytes) !== manifest.weightsSha256) {
    throw new CorruptDataError(`${dir}/weights.bin does not match its manifest (size or sha256)`, {
      dir,
      bytes: bytes.byteLength,
      expectedBytes: manifest.weightsBytes,
    });
  }
  const read = (e: CheckpointEntry): Float32Array | Int32Array => {
    const n = e.shape.reduce((p, d) => p * d, 1);
    if (e.offset < 0 || e.offset + e.byteLength > bytes.byteLength || n * 4 !== e.byteLength) {
      throw new CorruptDataError(`checkpoint entry '${e.name}' lies outside weights.bin or has the wrong size`, {
        name: e.name,
      });
    }
    const copy = bytes.buffer.slice(bytes.byteOffset + e.offset, bytes.byteOffset + e.offset + e.byteLength);
    return e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
  };
  // Check everything first; assign only when all of it fits.
  const params = manifest.entries.filter((e) => e.group === 'params');
  const present = new Set(params.map((e) => e.name));
  const missing = store.names().filter((n) => !present.has(n));
  if ((opts.strict ?? true) && missing.length) {
    throw new DimensionMismatchError(
      `checkpoint at ${dir} lacks parameters: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`,
      {
        missing,
      },
    );
  }
  for (const e of params) {
    if (!store.has(e.name))
      throw new DimensionMismatchError(`checkpoint parameter '${e.name}' is not in this model`, { name: e.name });
    const v = store.get(e.name);
    if (!tf.util.arraysEqual(v.shape, e.shape)) {
      throw new DimensionMismatchError(`parameter '${e.name}' has shape [${v.shape}], checkpoint has [${e.shape}]`, {
        name: e.name,
        expected: v.shape,
        actual: e.shape,
      });
    }
  }
  const values = params.map((e) => ({ name: e.name, data: read(e), e }));
  tf.tidy(() => {
    for (const { name, data, e } of values) store.get(name).assign(tf.tensor(data, e.shape, e.dtype));
  });
  if (opts.optimizer) await restoreOptimizer(opts.optimizer, manifest, store, read);
  return loaded;
}

async function restoreOptimizer(
  optimizer: tf.Optimizer,
  manifest: CheckpointManifest,
  store: ParamStore,
  read: (e: CheckpointEntry) => Float32Array | Int32Array,
): Promise<void> {
  const slots = manifest.entries.filter((e) => e.group === 'optimizer');
  if (!slots.length) return;
  const className = (optimizer as unknown as { getClassName?: () => string }).getClassName?.();
  if (manifest.optimizer && className && manifest.optimizer.className !== className) {
    throw new ConflictError(`checkpoint holds ${manifest.optimizer.className} state, optimizer is ${className}`, {
      saved: manifest.optimizer.className,
      given: className,
    });
  }
  // TF.js keeps slots by position (the order variables reach applyGradients), grouped by slot
  // kind: [iter, all m..., all v...]. Rebuild that order from the store, with today's variable names.
  const bySlot = new Map<string, Map<string, CheckpointEntry>>();
  let iter: CheckpointEntry | undefined;
  for (const e of slots) {
    if (e.name === 'iter') {
      iter = e;
      continue;
    }
    const slash = e.name.lastIndexOf('/');
    const kind = e.name.slice(slash + 1);
    if (!bySlot.has(kind)) bySlot.set(kind, new Map());
    bySlot.get(kind)!.set(e.name.slice(0, slash), e);
  }
  const trainable = store.entries().filter(([, v]) => v.trainable);
  const named: { name: string; tensor: tf.Tensor }[] = [];
  if (iter) named.push({ name: 'iter', tensor: tf.tensor(read(iter), [], 'int32') });
  for (const [kind, entries] of bySlot) {
    for (const [param, v] of trainable) {
      const e = entries.get(param);
      if (!e) continue;
      named.push({ name: `${v.name}/${kind}`, tensor: tf.tensor(read(e), e.shape, e.dtype) });
    }
  }
  // Slots the optimiser already holds would be orphaned by setWeights.
  const previous = await optimizer.getWeights();
  tf.dispose(previous.map((w) => w.tensor));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
}

function toDtype(dtype: string, name: string): 'float32' | 'int32' {
  if (dtype === 'float32' || dtype === 'int32') return dtype;
  throw new ConflictError(`cannot checkpoint '${name}' of dtype ${dtype}`, { name, dtype });
}
