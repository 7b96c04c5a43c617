import * as tf from '@tensorflow/tfjs';
import type { KernelFix, WasmBackendLike } from './kernel-fix';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

const sizeOf = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * Wraps the wasm BatchMatMul / _FusedMatMul kernels. XNNPACK only takes the fast path
 * (about 25 GFLOP/s here) for an untransposed, unbatched product; with a transpose flag or a
 * batch of weights shared by broadcasting it runs a generic loop at about 2 GFLOP/s. The
 * stock matMul gradients always pass transpose flags, and `x[B,T,d] @ W[d,e]` broadcasts W.
 * So: transpose explicitly (a cheap copy), and fold a broadcast batch into the rows.
 */
function wrapMatMul(original: tf.KernelFunc, transposeKernel: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const backend = args.backend as WasmBackendLike;
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    let a = args.inputs.a as TensorInfoLike;
    let b = args.inputs.b as TensorInfoLike;
    const aBatch = sizeOf(a.shape.slice(0, -2));
    const bBatch = sizeOf(b.shape.slice(0, -2));
    if (bBatch !== 1 || (aBatch !== 1 && attrs.transposeA)) {
      return aBatch === bBatch && aBatch > 1
        ? batchedBySlices(args, original, transposeKernel)
        : original(args as never);
    }
    const temps: TensorInfoLike[] = [];
    const transpose2d = (t: TensorInfoLike): TensorInfoLike => {
      const r = t.shape.length;
      const m = t.shape[r - 2];
      const n = t.shape[r - 1];
      const flat = { dataId: t.dataId, shape: [m, n], dtype: t.dtype };
      const out = transposeKernel({
        inputs: { x: flat },
        backend: args.backend,
        attrs: { perm: [1, 0] },
      } as never) as TensorInfoLike;
      temps.push(out);
      return out;
    };
    const outerA = a.shape.slice(0, -2);
    const outShapeOuter = tf.backend_util.assertAndGetBroadcastShape(outerA, b.shape.slice(0, -2));
    const m = attrs.transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
    if (attrs.transposeA) a = transpose2d(a);
    if (attrs.transposeB) b = transpose2d(b);
    // Fold [..., m, k] into [rows, k] so XNNPACK sees one plain 2-D product.
    const k = a.shape[a.shape.length - 1];
    const a2 = { dataId: a.dataId, shape: [1, sizeOf(a.shape) / k, k], dtype: a.dtype };
    const b2 = { dataId: b.dataId, shape: [1, ...b.shape.slice(-2)], dtype: b.dtype };
    try {
      const out = original({
        ...args,
        inputs: { ...args.inputs, a: a2, b: b2 },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      } as never) as TensorInfoLike;
      out.shape = [...outShapeOuter, m, b2.shape[2]];
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }) as tf.KernelFunc;
}

/** Below this many multiply-adds per matrix, per-call overhead beats the generic loop. */
const SLICE_MIN_MACS = 64 * 1024;

/**
 * Equal-batch products (attention scores and context) on the generic wasm loop run at about
 * 2 GFLOP/s. For large enough matrices, one fast 2-D call per batch entry wins (about 5x at
 * 128 tokens × 64 per head): copy each slice into its own buffer, multiply, copy the result out.
 * A fresh right-hand buffer per call: XNNPACK caches packed weights by tensor id.
 */
function batchedBySlices(args: KernelArgs, original: tf.KernelFunc, transposeKernel: tf.KernelFunc): TensorInfoLike {
  const backend = args.backend as WasmBackendLike;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const a0 = args.inputs.a as TensorInfoLike;
  const b0 = args.inputs.b as TensorInfoLike;
  const ra = a0.shape.length;
  const rb = b0.shape.length;
  const m = attrs.transposeA ? a0.shape[ra - 1] : a0.shape[ra - 2];
  const k = attrs.transposeA ? a0.shape[ra - 2] : a0.shape[ra - 1];
  const n = attrs.transposeB ? b0.shape[rb - 2] : b0.shape[rb - 1];
  if (m * k * n < SLICE_MIN_MACS || a0.dtype !== 'float32' || args.inputs.bias || args.inputs.preluActivationWeights) {
    return original(args as never) as TensorInfoLike;
  }
  const batch = sizeOf(a0.shape.slice(0, -2));
  const temps: TensorInfoLike[] = [];
  const as3d = (t: TensorInfoLike, transpose: boolean | undefined): TensorInfoLike => {
    const r = t.shape.length;
    const view = { dataId: t.dataId, shape: [batch, t.shape[r - 2], t.shape[r - 1]], dtype: t.dtype };
    if (!transpose) return view;
    const out = transposeKernel({
      inputs: { x: view },
      backend: args.backend,
      attrs: { perm: [0, 2, 1] },
    } as never) as TensorInfoLike;
    temps.push(out);
    return out;
  };
  const a = as3d(a0, attrs.transposeA);
  const b = as3d(b0, attrs.transposeB);
  const out = backend.makeOutput([...a0.shape.slice(0, -2), m, n], 'float32');
  const aSlice = backend.makeOutput([1, m, k], 'float32');
  temps.push(aSlice);
  try {
    for (let i = 0; i < batch; i++) {
      const bSlice = backend.makeOutput([1, k, n], 'float32');
      try {
        // heap views go stale whenever wasm memory grows, so take them after each allocation
        backend.typedArrayFromHeap(aSlice).set(backend.typedArrayFromHeap(a).subarray(i * m * k, (i + 1) * m * k));
        backend.typedArrayFromHeap(bSlice).set(backend.typedArrayFromHeap(b).subarray(i * k * n, (i + 1) * k * n));
        const r = original({
          ...args,
          inputs: { a: aSlice, b: bSlice },
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        } as never) as TensorInfoLike;
        backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(r), i * m * n);
        backend.disposeData(r.dataId);
      } finally {
        backend.disposeData(bSlice.dataId);
      }
    }
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
  return out;
}

function makeFix(kernelName: string): KernelFix {
  return {
    name: `${kernelName}-explicit-transpose@wasm`,
    backends: ['wasm'],
    install(backendName) {
      const original = tf.getKernel(kernelName, backendName);
      const transpose = tf.getKernel('Transpose', backendName);
      if (!original || !transpose) return () => undefined;
      tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel({ ...original, kernelFunc: wrapMatMul(original.kernelFunc, transpose.kernelFunc) });
      return () => {
        tf.unregisterKernel(kernelName, backendName);
        tf.registerKernel(original);
      };
    },
  };
}

export const batchMatMulTransposeWasmFix: KernelFix = makeFix('BatchMatMul');
export const fusedMatMulTransposeWasmFix: KernelFix = makeFix('_FusedMatMul');
