import * as tf from '@tensorflow/tfjs';

interface EngineInternals {
  state: { activeTape: unknown };
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients?: boolean,
  ): { value: tf.Tensor; grads: tf.Tensor[] };
}

/**
 * Activation checkpointing: runs `fn(x)` without keeping its intermediates, and recomputes
 * them in the backward pass to get gradients for `x` and `params`. Peak memory drops to one
 * block's activations plus the block inputs, for about one extra forward per step. At
 * d=256, 4 layers, 64×128 tokens the plain step exhausts the wasm heap; this one fits.
 *
 * `fn` must be deterministic (seeded dropout) and may read only `params` as variables.
 * Other tensors it needs (masks, memory) go in `consts` and come back as its extra arguments:
 * a tensor captured from the forward pass is disposed before the backward pass runs.
 * `consts` get no gradient.
 */
export function recomputeInBackward(
  fn: (x: tf.Tensor, ...consts: tf.Tensor[]) => tf.Tensor,
  x: tf.Tensor,
  params: tf.Variable[],
  consts: tf.Tensor[] = [],
): tf.Tensor {
  const nConst = consts.length;
  const body = (...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xIn = args[0] as tf.Tensor;
    const constIn = args.slice(1, 1 + nConst) as tf.Tensor[];
    const value = tf.tidy(() => fn(xIn, ...constIn));
    save([xIn, ...constIn]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const engine = tf.engine() as unknown as EngineInternals;
      // A nested gradients() call replaces (and finally nulls) the engine's tape; the outer
      // backward pass still needs it for its clean-up, so put it back afterwards.
      const outerTape = engine.state.activeTape;
      try {
        const [xs, ...cs] = saved;
        const { value: y, grads } = engine.gradients(() => fn(xs, ...cs), [xs, ...params], dy, true);
        y.dispose();
        const [dx, ...dParams] = grads.map((g, i) => g ?? tf.zerosLike(i === 0 ? xs : params[i - 1]));
        return [dx, ...cs.map((c) => tf.zerosLike(c)), ...dParams];
      } finally {
        engine.state.activeTape = outerTape;
      }
    };
    return { value, gradFunc };
  };
  const op = tf.customGrad(body as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, ...consts, ...params);
}
