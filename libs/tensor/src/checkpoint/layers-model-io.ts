import * as tf from '@tensorflow/tfjs';
import { CorruptDataError, NotFoundError } from '@tessera/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFolderAtomically } from './atomic-folder';

/**
 * Saves a tf.LayersModel as model.json + weights.bin (+ meta.json) through
 * tf.io.withSaveHandler, atomically. Without tfjs-node there is no 'file://' handler.
 */
export async function saveLayersModel(
  model: tf.LayersModel,
  dir: string,
  opts: { meta?: Record<string, unknown>; includeOptimizer?: boolean } = {},
): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: opts.includeOptimizer ?? false },
  );
  if (!artifacts) throw new CorruptDataError('model.save produced no artifacts', {});
  const weightData = artifacts.weightData;
  const buffers = Array.isArray(weightData) ? weightData : weightData ? [weightData] : [];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    weights.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  const modelJson = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    trainingConfig: artifacts.trainingConfig,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
  };
  const files: Record<string, Uint8Array | string> = {
    'model.json': JSON.stringify(modelJson),
    'weights.bin': weights,
  };
  if (opts.meta) files['meta.json'] = JSON.stringify(opts.meta, null, 2);
  await writeFolderAtomically(dir, files);
}

/** Loads a folder written by saveLayersModel through tf.io.fromMemory. */
export async function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  let json: {
    modelTopology: object;
    trainingConfig?: tf.io.TrainingConfig;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`no model at ${dir} (model.json missing)`, { dir });
    throw new CorruptDataError(`${dir}/model.json is unreadable`, { dir }, { cause: e });
  }
  const bytes = await readFile(join(dir, 'weights.bin'));
  const weightSpecs = json.weightsManifest.flatMap((m) => m.weights);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData,
      trainingConfig: json.trainingConfig,
    }),
  );
}
