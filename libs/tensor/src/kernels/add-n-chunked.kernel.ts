import * as tf from '@tensorflow/tfjs';
import type { KernelFix } from './kernel-fix';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface WebGpuBackendLike {
  device?: { limits?: { maxStorageBuffersPerShaderStage?: number } };
  disposeData(dataId: object, force?: boolean): boolean;
}

// The engine hands AddN its inputs as an array (the kernels call .map on it).
function asInputs(list: TensorInfoLike[]): tf.NamedTensorInfoMap {
  return list as unknown as tf.NamedTensorInfoMap;
}

/**
 * AddN on WebGPU binds every input as its own storage buffer, and a device allows only
 * maxStorageBuffersPerShaderStage of them (8 by default, output included). Summing more (the
 * gradient of a tensor used by many ops, a global gradient norm over 60 variables) is a device
 * validation error and a garbage result. This sums in chunks that fit, then sums the partial sums.
 */
export const addNChunkedWebGpuFix: KernelFix = {
  name: 'AddN-chunked@webgpu',
  backends: ['webgpu'],
  install(backendName) {
    const original = tf.getKernel('AddN', backendName);
    if (!original) return () => undefined;
    const kernelFunc = ((args: { inputs: tf.NamedTensorInfoMap; backend: object; attrs?: tf.NamedAttrMap }) => {
      const backend = args.backend as WebGpuBackendLike;
      const maxInputs = Math.max(2, (backend.device?.limits?.maxStorageBuffersPerShaderStage ?? 8) - 1);
      let level = Object.values(args.inputs) as TensorInfoLike[];
      // Only partial sums this kernel made are freed; the caller's inputs are not ours.
      let owned = new Set<object>();
      while (level.length > maxInputs) {
        const next: TensorInfoLike[] = [];
        const nextOwned = new Set<object>();
        for (let s = 0; s < level.length; s += maxInputs) {
          const chunk = level.slice(s, s + maxInputs);
          if (chunk.length === 1) {
            next.push(chunk[0]);
            if (owned.has(chunk[0].dataId)) nextOwned.add(chunk[0].dataId);
            continue;
          }
          const sum = original.kernelFunc({ ...args, inputs: asInputs(chunk) }) as TensorInfoLike;
          next.push(sum);
          nextOwned.add(sum.dataId);
        }
        for (const t of level) if (owned.has(t.dataId) && !nextOwned.has(t.dataId)) backend.disposeData(t.dataId);
        level = next;
        owned = nextOwned;
      }
      const out = original.kernelFunc({ ...args, inputs: asInputs(level) }) as TensorInfoLike;
      for (const t of level) if (owned.has(t.dataId) && t.dataId !== out.dataId) backend.disposeData(t.dataId);
      return out;
    }) as tf.KernelFunc;
    tf.unregisterKernel('AddN', backendName);
    tf.registerKernel({ ...original, kernelFunc });
    return () => {
      tf.unregisterKernel('AddN', backendName);
      tf.registerKernel(original);
    };
  },
};
