import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError } from '@tessera/common';

/** A differentiable step computed in plain JS on the host (e.g. a dynamic-programming recursion). */
export interface HostOp {
  /** Forward on the downloaded input; `backward(dy)` returns dL/dinput for dL/doutput = dy. */
  forward(
    input: Float32Array,
    shape: readonly number[],
  ): { output: Float32Array; shape: number[]; backward(dy: Float32Array): Float32Array };
}

/**
 * Loss and variable gradients of `back(host(front()))`, for backends that cannot download
 * synchronously (WebGPU): a host op inside tf.customGrad has to read its input with
 * dataSync(), which throws there. Here every download is an `await data()`:
 *   1. X = front() on the device, downloaded;
 *   2. Y = host.forward(X), uploaded; loss = back(Y) and dL/dY on the device, downloaded;
 *   3. dL/dX = host backward(dL/dY), uploaded; the variables' gradients come from
 *      variableGrads(sum(front() ⊙ dL/dX)), a second forward pass of `front`.
 * So `front` must be deterministic (seeded dropout), and `back` must not read trainable
 * variables (its own gradients are not collected). The caller disposes the returned grads.
 */
export async function hostOpValueAndGrads(
  front: () => tf.Tensor,
  host: HostOp,
  back: (y: tf.Tensor) => tf.Scalar,
  vars: tf.Variable[],
): Promise<{ value: number; grads: tf.NamedTensorMap }> {
  const x = tf.tidy(front);
  const shape = x.shape.slice();
  let xv: Float32Array;
  try {
    xv = (await x.data()) as Float32Array;
  } finally {
    x.dispose();
  }
  const h = host.forward(xv, shape);
  const y = tf.tensor(h.output, h.shape);
  const { value, grad } = tf.tidy(() => tf.valueAndGrad(back)(y));
  y.dispose();
  let lossValue: number;
  let dy: Float32Array;
  try {
    [lossValue, dy] = await Promise.all([value.data().then((v) => v[0]), grad.data() as Promise<Float32Array>]);
  } finally {
    tf.dispose([value, grad]);
  }
  const dx = h.backward(dy);
  if (dx.length !== xv.length) {
    throw new DimensionMismatchError(`host op backward returned ${dx.length} values for an input of ${xv.length}`);
  }
  const dxT = tf.tensor(dx, shape);
  try {
    const r = tf.tidy(() => tf.variableGrads(() => tf.sum(tf.mul(front(), dxT)) as tf.Scalar, vars));
    r.value.dispose();
    return { value: lossValue, grads: r.grads };
  } finally {
    dxT.dispose();
  }
}
