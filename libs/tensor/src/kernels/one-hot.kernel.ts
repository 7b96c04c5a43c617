import * as tf from '@tensorflow/tfjs';
import type { KernelFix, WasmBackendLike } from './kernel-fix';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

/**
 * OneHot for wasm in plain JS. The stock wasm kernel writes integer bit patterns whatever
 * the dtype, so `tf.oneHot(ids, n, 1, 0, 'float32')` comes out as 1.4e-45 instead of 1 and
 * one-hot embeddings silently become zero. Indices outside [0, depth) give an all-off row.
 */
export function oneHotWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): TensorInfoLike {
  const backend = args.backend as WasmBackendLike;
  const indices = args.inputs.indices as TensorInfoLike;
  const { depth, onValue, offValue, dtype } = args.attrs as unknown as {
    depth: number;
    onValue: number;
    offValue: number;
    dtype: string;
  };
  const out = backend.makeOutput([...indices.shape, depth], dtype ?? 'int32');
  const outVals = backend.typedArrayFromHeap(out);
  const ids = backend.typedArrayFromHeap(indices);
  outVals.fill(offValue ?? 0);
  const on = onValue ?? 1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id >= 0 && id < depth) outVals[i * depth + id] = on;
  }
  return out;
}

export const oneHotWasmFix: KernelFix = {
  name: 'OneHot-dtype@wasm',
  backends: ['wasm'],
  install(backendName) {
    const original = tf.getKernel('OneHot', backendName);
    if (original) tf.unregisterKernel('OneHot', backendName);
    tf.registerKernel({ kernelName: 'OneHot', backendName, kernelFunc: oneHotWasm as unknown as tf.KernelFunc });
    return () => {
      tf.unregisterKernel('OneHot', backendName);
      if (original) tf.registerKernel(original);
    };
  },
};
