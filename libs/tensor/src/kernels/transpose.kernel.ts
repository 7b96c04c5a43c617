import * as tf from '@tensorflow/tfjs';
import type { KernelFix, WasmBackendLike } from './kernel-fix';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

const BLOCK = 32;

/**
 * Transpose in JS, in cache-sized blocks for the 2-D case. The stock wasm kernel took about
 * 15 ms (median) for [2048, 256] here against about 9 ms for this, and the explicit-transpose
 * matmul fix leans on 2-D transposes. Other permutations (attention head splits, where rows
 * stay contiguous) are faster in the stock kernel and go there. transposeJs itself handles
 * any permutation (dimensions of size one are dropped; whole rows are copied when the last
 * axis stays last).
 */
export function transposeJs(
  xVals: Float32Array | Int32Array | Uint8Array,
  shape: number[],
  perm: number[],
  outVals: Float32Array | Int32Array | Uint8Array,
): void {
  // drop size-one axes: they do not move data
  const keep = perm.filter((p) => shape[p] !== 1);
  const kept = [...keep].sort((a, b) => a - b);
  const rShape = kept.map((a) => shape[a]);
  const rPerm = keep.map((a) => kept.indexOf(a));
  const rank = rShape.length;
  if (rank === 0 || rPerm.every((p, i) => p === i)) {
    outVals.set(xVals.subarray(0, outVals.length));
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * rShape[i + 1];
  if (rank === 2) {
    const [rows, cols] = rShape;
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const r1 = Math.min(rows, r0 + BLOCK);
      for (let c0 = 0; c0 < cols; c0 += BLOCK) {
        const c1 = Math.min(cols, c0 + BLOCK);
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) outVals[c * rows + r] = xVals[r * cols + c];
      }
    }
    return;
  }
  const outShape = rPerm.map((p) => rShape[p]);
  const srcStride = rPerm.map((p) => strides[p]);
  const last = rank - 1;
  const innerLen = outShape[last];
  const innerStride = srcStride[last];
  const counter = new Array<number>(rank - 1).fill(0);
  let src = 0;
  let dst = 0;
  const total = outVals.length;
  while (dst < total) {
    if (innerStride === 1) {
      outVals.set(xVals.subarray(src, src + innerLen), dst);
    } else {
      for (let j = 0, s = src; j < innerLen; j++, s += innerStride) outVals[dst + j] = xVals[s];
    }
    dst += innerLen;
    // advance the odometer over the outer output axes
    for (let ax = last - 1; ax >= 0; ax--) {
      counter[ax]++;
      src += srcStride[ax];
      if (counter[ax] < outShape[ax]) break;
      src -= srcStride[ax] * outShape[ax];
      counter[ax] = 0;
    }
  }
}

export const transposeWasmFix: KernelFix = {
  name: 'Transpose-js@wasm',
  backends: ['wasm'],
  install(backendName) {
    const original = tf.getKernel('Transpose', backendName);
    if (!original) return () => undefined;
    const kernelFunc = ((args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => {
      const backend = args.backend as WasmBackendLike;
      const x = args.inputs.x as TensorInfoLike;
      const perm = (args.attrs as { perm: number[] }).perm;
      // Only true 2-D transposes: the stock kernel is fast when rows stay contiguous.
      const moved = perm.filter((p) => x.shape[p] !== 1);
      if (x.dtype === 'string' || x.dtype === 'complex64' || moved.length !== 2 || moved[0] < moved[1]) {
        return original.kernelFunc(args as never);
      }
      const outShape = perm.map((p) => x.shape[p]);
      const out = backend.makeOutput(outShape, x.dtype);
      transposeJs(backend.typedArrayFromHeap(x), x.shape, perm, backend.typedArrayFromHeap(out));
      return out;
    }) as tf.KernelFunc;
    tf.unregisterKernel('Transpose', backendName);
    tf.registerKernel({ ...original, kernelFunc });
    return () => {
      tf.unregisterKernel('Transpose', backendName);
      tf.registerKernel(original);
    };
  },
};
