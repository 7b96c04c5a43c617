/**
 * A kernel or gradient the stock TF.js build lacks (or runs slowly) on some backend.
 * Each fix lives in its own file and is listed in kernel-fix.registry.ts; the runtime
 * installs the ones matching the active backend at init, never at import.
 */
export interface KernelFix {
  /** Unique, shown in describeBackend().fixes, e.g. 'UnsortedSegmentSum@wasm'. */
  readonly name: string;
  /** Backends it applies to; 'all' for gradients, which TF.js keeps per kernel, not per backend. */
  readonly backends: readonly string[] | 'all';
  /** Registers the kernel or gradient and returns a function that undoes it. */
  install(backendName: string): () => void;
}

/** The part of the wasm backend a JS kernel needs (tfjs-backend-wasm's BackendWasm). */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string): { dataId: object; shape: number[]; dtype: string };
  typedArrayFromHeap(t: { dataId: object; shape: number[]; dtype: string }): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}
