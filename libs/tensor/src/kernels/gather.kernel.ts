import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import type { KernelFix, WasmBackendLike } from './kernel-fix';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

const sizeOf = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * GatherV2 for wasm as row copies. The stock wasm kernel computes every element's index
 * separately and took about 19 ms for an embedding lookup of 2048 rows × 64 here; copying
 * whole rows takes well under 1 ms. Only batchDims = 0 (what tf.gather uses by default);
 * otherwise the stock kernel runs.
 */
function makeGather(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => {
    const { axis: rawAxis, batchDims } = (args.attrs ?? {}) as { axis: number; batchDims?: number };
    if (batchDims) return original(args as never);
    const backend = args.backend as WasmBackendLike;
    const x = args.inputs.x as TensorInfoLike;
    const indices = args.inputs.indices as TensorInfoLike;
    const axis = rawAxis < 0 ? rawAxis + x.shape.length : rawAxis;
    const outer = sizeOf(x.shape.slice(0, axis));
    const dim = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = backend.makeOutput(outShape, x.dtype);
    const outVals = backend.typedArrayFromHeap(out);
    const xVals = backend.typedArrayFromHeap(x);
    const ids = backend.typedArrayFromHeap(indices);
    const n = ids.length;
    for (let i = 0; i < n; i++) {
      if (!(ids[i] >= 0 && ids[i] < dim)) {
        backend.disposeData(out.dataId);
        throw new InvalidInputError(`gather: index ${ids[i]} is outside [0, ${dim - 1}]`, { index: ids[i], size: dim });
      }
    }
    for (let o = 0; o < outer; o++) {
      const srcBase = o * dim * inner;
      const dstBase = o * n * inner;
      for (let i = 0; i < n; i++) {
        const src = srcBase + ids[i] * inner;
        outVals.set(xVals.subarray(src, src + inner), dstBase + i * inner);
      }
    }
    return out;
  }) as tf.KernelFunc;
}

export const gatherWasmFix: KernelFix = {
  name: 'GatherV2-rows@wasm',
  backends: ['wasm'],
  install(backendName) {
    const original = tf.getKernel('GatherV2', backendName);
    if (!original) return () => undefined;
    tf.unregisterKernel('GatherV2', backendName);
    tf.registerKernel({ ...original, kernelFunc: makeGather(original.kernelFunc) });
    return () => {
      tf.unregisterKernel('GatherV2', backendName);
      tf.registerKernel(original);
    };
  },
};
