import * as tf from '@tensorflow/tfjs';
import type { KernelFix, WasmBackendLike } from './kernel-fix';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

/**
 * UnsortedSegmentSum for wasm, in plain JS. The wasm build lacks it, and the gradients of
 * gather (embeddings) and of tf.layers.embedding need it. Ids outside [0, numSegments) are
 * dropped, as TensorFlow does.
 */
export function unsortedSegmentSumWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): TensorInfoLike {
  const backend = args.backend as WasmBackendLike;
  const x = args.inputs.x as TensorInfoLike;
  const segmentIds = args.inputs.segmentIds as TensorInfoLike;
  const numSegments = Number((args.attrs as { numSegments: number }).numSegments);
  const idRank = segmentIds.shape.length;
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const inner = outShape.slice(1).reduce((p, d) => p * d, 1);
  // Allocate first: makeOutput may grow wasm memory and detach earlier heap views.
  const out = backend.makeOutput(outShape, x.dtype);
  const outVals = backend.typedArrayFromHeap(out);
  const xVals = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  outVals.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const seg = ids[i];
    if (seg < 0 || seg >= numSegments) continue;
    const src = i * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
}

export const unsortedSegmentSumWasmFix: KernelFix = {
  name: 'UnsortedSegmentSum@wasm',
  backends: ['wasm'],
  install(backendName) {
    if (tf.getKernel('UnsortedSegmentSum', backendName)) return () => undefined;
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName,
      kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc,
    });
    return () => tf.unregisterKernel('UnsortedSegmentSum', backendName);
  },
};
