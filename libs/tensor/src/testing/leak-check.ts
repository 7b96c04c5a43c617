import * as tf from '@tensorflow/tfjs';
import { ConflictError } from '@tessera/common';

/**
 * Runs `fn` `steps` times (after one warm-up call, which may create lasting state such as
 * optimiser slots) and throws if tf.memory().numTensors grew. Returns the leak per step (0).
 */
export async function assertNoLeak(fn: () => unknown, steps = 3): Promise<number> {
  await fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) await fn();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new ConflictError(`tensor leak: ${after - before} tensors over ${steps} steps (${before} -> ${after})`, {
      before,
      after,
      steps,
    });
  }
  return (after - before) / steps;
}

/** Synchronous form: the number of tensors left behind by `steps` calls after a warm-up. */
export function countTensorLeak(fn: () => unknown, steps = 3): number {
  fn();
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) fn();
  return tf.memory().numTensors - before;
}

/** Alias kept for tests that read better as an expectation. */
export const expectNoTensorLeak = assertNoLeak;
