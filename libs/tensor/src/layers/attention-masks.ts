import * as tf from '@tensorflow/tfjs';
import { DimensionMismatchError } from '@tessera/common';

/** Added to masked attention scores; large enough to vanish after softmax, safe in float32. */
export const MASKED_SCORE = -1e9;

/**
 * Additive attention bias [B, 1, 1, Tk] from a key mask [B, Tk] holding 1 for real tokens
 * and 0 for padding.
 */
export function paddingBias(keyMask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t] = keyMask.shape;
    return tf.reshape(tf.mul(tf.sub(1, tf.cast(keyMask, 'float32')), MASKED_SCORE), [b, 1, 1, t]) as tf.Tensor4D;
  });
}

/** Additive bias [1, 1, T, T] hiding future positions (query i sees keys 0..i). */
export function causalBias(length: number): tf.Tensor4D {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) values[i * length + j] = MASKED_SCORE;
  return tf.tensor4d(values, [1, 1, length, length]);
}

/** Padding and causal biases combined; undefined when neither is asked for. */
export function attentionBias(opts: { keyMask?: tf.Tensor2D; causalLength?: number }): tf.Tensor | undefined {
  const { keyMask, causalLength } = opts;
  if (!keyMask && causalLength === undefined) return undefined;
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    if (keyMask) parts.push(paddingBias(keyMask));
    if (causalLength !== undefined) {
      if (keyMask && keyMask.shape[1] !== causalLength) {
        throw new DimensionMismatchError(
          `causal length ${causalLength} differs from key mask length ${keyMask.shape[1]}`,
          {
            causalLength,
            keyLength: keyMask.shape[1],
          },
        );
      }
      parts.push(causalBias(causalLength));
    }
    return parts.length === 1 ? parts[0] : tf.add(parts[0], parts[1]);
  });
}
