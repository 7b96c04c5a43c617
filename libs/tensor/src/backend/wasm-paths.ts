import { dirname, sep } from 'node:path';

/**
 * Folder holding the tfjs-backend-wasm binaries. In Node the backend cannot
 * find them on its own, so setWasmPaths needs this (with a trailing separator).
 */
export function resolveWasmDir(): string {
  const file = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  return dirname(file) + sep;
}
