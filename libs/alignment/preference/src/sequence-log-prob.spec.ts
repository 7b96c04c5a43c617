import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IGNORE_INDEX, sequenceLogProb, tokenLogProbs } from './sequence-log-prob';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// One row, T = 3, V = 2. Position logits chosen so log-softmax values are easy: [0, 0] → ln ½ each;
// [ln 3, 0] → p = [3/4, 1/4].
const L3 = Math.log(3);
const logits = () =>
  tf.tensor3d([
    [
      [0, 0],
      [L3, 0],
      [0, L3],
    ],
  ]);

describe('sequenceLogProb', () => {
  it('shifted (decoder-only): position t scores label t+1; −100 positions are skipped', () => {
    const labels = tf.tensor2d([[IGNORE_INDEX, 1, 0]], undefined, 'int32');
    // pos0 → label 1: ln ½; pos1 → label 0: ln ¾.
    expect(sequenceLogProb(logits(), labels).dataSync()[0]).toBeCloseTo(Math.log(0.5) + Math.log(0.75), 5);
    const masked = tf.tensor2d([[IGNORE_INDEX, IGNORE_INDEX, 0]], undefined, 'int32');
    expect(sequenceLogProb(logits(), masked).dataSync()[0]).toBeCloseTo(Math.log(0.75), 5);
  });

  it('unshifted (encoder–decoder): position t scores label t', () => {
    const labels = tf.tensor2d([[0, 0, 1]], undefined, 'int32');
    expect(sequenceLogProb(logits(), labels, { shift: false }).dataSync()[0]).toBeCloseTo(
      Math.log(0.5) + Math.log(0.75) + Math.log(0.75),
      5,
    );
  });

  it('average divides by the number of scored tokens; an all-masked row gives 0', () => {
    const labels = tf.tensor2d(
      [
        [IGNORE_INDEX, 1, 0],
        [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX],
      ],
      undefined,
      'int32',
    );
    const two = tf.concat([logits(), logits()], 0) as tf.Tensor3D;
    const got = sequenceLogProb(two, labels, { average: true }).dataSync();
    expect(got[0]).toBeCloseTo((Math.log(0.5) + Math.log(0.75)) / 2, 5);
    expect(Math.abs(got[1])).toBe(0);
    const tok = tokenLogProbs(two, labels).arraySync();
    expect(tok[1].map(Math.abs)).toEqual([0, 0]);
  });

  it('its gradient w.r.t. the logits is onehot − softmax on scored positions', () => {
    const labels = tf.tensor2d([[IGNORE_INDEX, 1, 0]], undefined, 'int32');
    const g = tf
      .grad((x: tf.Tensor) => sequenceLogProb(x as tf.Tensor3D, labels))(logits())
      .arraySync() as number[][][];
    expect(g[0][0][0]).toBeCloseTo(-0.5, 5);
    expect(g[0][0][1]).toBeCloseTo(0.5, 5);
    expect(g[0][1][0]).toBeCloseTo(0.25, 5);
    expect(g[0][2].map(Math.abs)).toEqual([0, 0]);
  });
});
