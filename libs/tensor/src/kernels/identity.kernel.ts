import * as tf from '@tensorflow/tfjs';
import type { KernelFix } from './kernel-fix';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/**
 * Identity that shares the buffer (reference count) instead of copying it. The engine clones
 * every tensor it saves for the backward pass, and the stock wasm Identity copies: about 40
 * activation-sized copies per transformer layer per step. TF.js tensors are immutable (a
 * Variable's assign swaps buffers), which is why the cpu backend shares here too.
 */
export const identityShareWasmFix: KernelFix = {
  name: 'Identity-share@wasm',
  backends: ['wasm'],
  install(backendName) {
    const original = tf.getKernel('Identity', backendName);
    if (!original) return () => undefined;
    const kernelFunc = ((args: { inputs: tf.NamedTensorInfoMap; backend: unknown }) => {
      const x = args.inputs.x as TensorInfoLike;
      (args.backend as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }) as tf.KernelFunc;
    tf.unregisterKernel('Identity', backendName);
    tf.registerKernel({ ...original, kernelFunc });
    return () => {
      tf.unregisterKernel('Identity', backendName);
      tf.registerKernel(original);
    };
  },
};
