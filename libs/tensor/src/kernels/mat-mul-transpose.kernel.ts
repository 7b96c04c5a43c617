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
    // Only the weights-shared cases; real batched products (attention) stay as they are.
    if (bBatch !== 1 || (aBatch !== 1 && attrs.transposeA)) return original(args as never);
    const temps: TensorInfoLike[] = [];
    const transpose2d = (t: TensorInfoLike): TensorInfoLike => {
      const r = t.shape.length;
      const m = t.shape[r - 2];
      const n = t.shape[r - 1];
      const flat = { dataId: t.dataId, shape: [m, n], dtype: t.dtype };
      const out = transposeKernel({ inputs: { x: flat }, backend: args.backend, attrs: { perm: [1, 0] } } as never) as TensorInfoLike;
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
