import * as tf from '@tensorflow/tfjs';
import { InvalidInputError } from '@tessera/common';
import { type S2dtwOptions, resolveS2dtwOptions } from './s2dtw-options';
import { s2dtwBackwardBatch, s2dtwForwardBatch } from './s2dtw.kernel';

/**
 * S2DTW similarities s = −S2DTW for a batch of similarity matrices Z (B×n×m, rows clips, columns
 * sentences), as a differentiable TF.js op. Forward and backward run in the JS kernel; the gradient is
 * the exact expected-alignment recursion, not autodiff through the cells. Inside tf.customGrad the input
 * has to be read with dataSync(), so this op runs on cpu/wasm only; training uses the host-op route
 * (hostOpValueAndGrads, any backend), and this op stays as the reference it is tested against.
 */
export function s2dtwSimilarity(z: tf.Tensor, options: Partial<S2dtwOptions> = {}): tf.Tensor1D {
  const o = resolveS2dtwOptions(options);
  if (z.rank !== 3) throw new InvalidInputError(`S2DTW expects Z of rank 3 (B×n×m), got shape [${z.shape}]`);
  const [batch, n, m] = z.shape as [number, number, number];
  const op = tf.customGrad<tf.Tensor1D>((...inputs) => {
    const zIn = inputs[0] as tf.Tensor;
    const { similarity, state } = s2dtwForwardBatch(zIn.dataSync(), batch, n, m, o);
    const value = tf.tensor1d(Float32Array.from(similarity));
    const gradFunc = (dy: tf.Tensor1D): tf.Tensor =>
      tf.tensor3d(s2dtwBackwardBatch(state, dy.dataSync()), [batch, n, m]);
    return { value, gradFunc };
  });
  return op(z);
}
