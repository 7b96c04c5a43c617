export const CHECKPOINT_FORMAT = 'tessera-tensor-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** One tensor stored in weights.bin. */
export interface CheckpointEntry {
  /** Parameter name in the ParamStore, or for optimiser state `<param>/<slot>` or 'iter'. */
  name: string;
  group: 'params' | 'optimizer';
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Byte offset and length inside weights.bin (little-endian). */
  offset: number;
  byteLength: number;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  /** sha256 of weights.bin, checked on load. */
  weightsSha256: string;
  weightsBytes: number;
  entries: CheckpointEntry[];
  optimizer?: { className: string; config: Record<string, unknown>; iterations: number };
  backend: string;
}
