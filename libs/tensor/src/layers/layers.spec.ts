import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from '../backend/tensor-backend';
import { gradientCheck, gradientCheckVariables } from '../testing/gradient-check';
import { countTensorLeak } from '../testing/leak-check';
import { maxAbsDiff, runOnBackends } from '../testing/run-on-backends';
import { attentionBias, causalBias, MASKED_SCORE } from './attention-masks';
import { Dense } from './dense';
import { MultiHeadAttention } from './multi-head-attention';
import { ParamStore } from './param-store';
import * as ref from './reference.fixture';
import { TokenPositionEmbedding } from './token-position-embedding';
import { TransformerDecoderBlock } from './transformer-decoder-block';
import { TransformerEncoder } from './transformer-encoder';
import { TransformerEncoderBlock } from './transformer-encoder-block';

/** Overwrites every parameter with seeded noise so biases and norms are exercised too. */
function randomise(store: ParamStore, seed: number, scale = 0.5): void {
  const r = new Rng(seed);
  for (const [, v] of store.entries()) {
    tf.tidy(() =>
      v.assign(
        tf.tensor(
          Float32Array.from({ length: v.size }, () => r.normal() * scale),
          v.shape,
        ),
      ),
    );
  }
}

const mat = (v: tf.Variable): ref.Mat => v.arraySync() as ref.Mat;
const vec = (v: tf.Variable): number[] => Array.from(v.dataSync());
const refAttention = (m: MultiHeadAttention): ref.RefAttention => ({
  wq: mat(m.q.w),
  bq: vec(m.q.b!),
  wk: mat(m.k.w),
  bk: vec(m.k.b!),
  wv: mat(m.v.w),
  bv: vec(m.v.b!),
  wo: mat(m.o.w),
  bo: vec(m.o.b!),
});
const randData = (shape: number[], seed: number): number[] => {
  const r = new Rng(seed);
  return Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r.normal());
};
const maxDiff3 = (a: number[][][], b: number[][][]): number =>
  Math.max(...a.flatMap((m, i) => m.flatMap((row, j) => row.map((v, k) => Math.abs(v - b[i][j][k])))));

describe('transformer layers', () => {
  let store: ParamStore;
  beforeAll(async () => {
    await initTensorBackend('wasm');
  });
  afterEach(() => store?.dispose());

  it('multi-head attention equals a float64 step-by-step reference, with a padding mask', () => {
    store = new ParamStore();
    const mha = new MultiHeadAttention(store, 'attn', { dModel: 8, numHeads: 2 }, 1);
    randomise(store, 2);
    const x = randData([2, 4, 8], 3);
    const keyMask = [
      [1, 1, 1, 1],
      [1, 1, 0, 0],
    ];
    const out = tf.tidy(() => {
      const xt = tf.tensor3d(x, [2, 4, 8]);
      const bias = attentionBias({ keyMask: tf.tensor2d(keyMask) });
      return mha.apply(xt, xt, { bias }).arraySync();
    });
    const xs = tf.tidy(() => tf.tensor3d(x, [2, 4, 8]).arraySync());
    const w = refAttention(mha);
    const expected = xs.map((seq, b) =>
      ref.attention(
        seq,
        seq,
        w,
        2,
        seq.map(() => keyMask[b].map((m) => (m ? 0 : MASKED_SCORE))),
      ),
    );
    expect(maxDiff3(out, expected)).toBeLessThan(1e-4);
  });

  it('cross-attention (kvDim differs) equals the reference', () => {
    store = new ParamStore();
    const mha = new MultiHeadAttention(store, 'x', { dModel: 8, numHeads: 4, kvDim: 6 }, 5);
    randomise(store, 6);
    const q = randData([2, 3, 8], 7);
    const kv = randData([2, 5, 6], 8);
    const out = tf.tidy(() => mha.apply(tf.tensor3d(q, [2, 3, 8]), tf.tensor3d(kv, [2, 5, 6])).arraySync());
    const qs = tf.tidy(() => tf.tensor3d(q, [2, 3, 8]).arraySync());
    const kvs = tf.tidy(() => tf.tensor3d(kv, [2, 5, 6]).arraySync());
    const w = refAttention(mha);
    expect(
      maxDiff3(
        out,
        qs.map((s, b) => ref.attention(s, kvs[b], w, 4)),
      ),
    ).toBeLessThan(1e-4);
  });

  it('encoder block equals the reference (causal mask), and future tokens do not leak back', () => {
    store = new ParamStore();
    const block = new TransformerEncoderBlock(store, 'enc.0', { dModel: 8, numHeads: 2, dFF: 16 }, 9);
    randomise(store, 10);
    const x = randData([2, 5, 8], 11);
    const run = (values: number[]) =>
      tf.tidy(() => block.apply(tf.tensor3d(values, [2, 5, 8]), { bias: causalBias(5) }).arraySync());
    const out = run(x);
    const xs = tf.tidy(() => tf.tensor3d(x, [2, 5, 8]).arraySync());
    const causal = Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => (j > i ? MASKED_SCORE : 0)));
    const p: ref.RefBlock = {
      ln1: { gamma: vec(block.ln1.gamma), beta: vec(block.ln1.beta) },
      attn: refAttention(block.attention),
      ln2: { gamma: vec(block.ln2.gamma), beta: vec(block.ln2.beta) },
      up: { w: mat(block.ffn.up.w), b: vec(block.ffn.up.b!) },
      down: { w: mat(block.ffn.down.w), b: vec(block.ffn.down.b!) },
    };
    expect(
      maxDiff3(
        out,
        xs.map((s) => ref.encoderBlock(s, p, 2, causal)),
      ),
    ).toBeLessThan(2e-4);
    // change the last token: positions 0..3 stay put
    const changed = x.slice();
    for (let j = 0; j < 8; j++) changed[4 * 8 + j] += 3;
    const out2 = run(changed);
    expect(
      maxDiff3(
        out2.map((s) => s.slice(0, 4)),
        out.map((s) => s.slice(0, 4)),
      ),
    ).toBeLessThan(1e-6);
    expect(
      maxDiff3(
        out2.map((s) => s.slice(4)),
        out.map((s) => s.slice(4)),
      ),
    ).toBeGreaterThan(1e-3);
  });

  it('passes central-difference gradient checks (input and parameters) through LN, softmax, GELU', () => {
    store = new ParamStore();
    const block = new TransformerEncoderBlock(store, 'g', { dModel: 4, numHeads: 2, dFF: 8 }, 12);
    randomise(store, 13, 0.4);
    const x = tf.tensor3d(randData([1, 3, 4], 14), [1, 3, 4]);
    const bias = causalBias(3);
    const target = tf.tensor3d(randData([1, 3, 4], 15), [1, 3, 4]);
    const loss = (xin: tf.Tensor) => tf.sum(tf.mul(block.apply(xin as tf.Tensor3D, { bias }), target)) as tf.Scalar;
    const inputCheck = gradientCheck(loss, [x], { eps: 1e-2, rtol: 2e-2 });
    const paramCheck = gradientCheckVariables(() => loss(x), store.trainable(), {
      eps: 1e-2,
      rtol: 3e-2,
      maxPerInput: 6,
    });
    tf.dispose([x, bias, target]);
    expect(inputCheck.maxRelError).toBeLessThan(2e-2);
    expect(paramCheck.ok, JSON.stringify(paramCheck.worst)).toBe(true);
    expect(paramCheck.checked).toBeGreaterThan(40);
  });

  it('a whole encoder (gather embeddings, padding + causal masks) passes a parameter gradient check on wasm and on cpu', async () => {
    const res = await runOnBackends(['wasm', 'cpu'], () => {
      const s = new ParamStore();
      const enc = new TransformerEncoder(
        s,
        'e',
        { numLayers: 1, dModel: 4, numHeads: 2, dFF: 8, vocabSize: 6, maxLength: 4 },
        30,
      );
      randomise(s, 31, 0.4);
      const ids = tf.tensor2d(
        [
          [1, 2, 2, 5],
          [0, 3, 4, 4],
        ],
        [2, 4],
        'int32',
      );
      const keyMask = tf.tensor2d([
        [1, 1, 1, 1],
        [1, 1, 1, 0],
      ]);
      const w = tf.tensor3d(randData([2, 4, 4], 32), [2, 4, 4]);
      const check = gradientCheckVariables(
        () => tf.sum(tf.mul(enc.apply(ids, { keyMask, causal: true }), w)) as tf.Scalar,
        s.trainable(),
        { eps: 1e-2, rtol: 3e-2, atol: 1e-2, maxPerInput: 8 },
      );
      tf.dispose([ids, keyMask, w]);
      s.dispose();
      return check;
    });
    expect(res.wasm.ok, JSON.stringify(res.wasm.worst)).toBe(true);
    expect(res.cpu.ok, JSON.stringify(res.cpu.worst)).toBe(true);
    expect(res.wasm.checked).toBeGreaterThan(60);
  });

  it('block forward and gradients agree between wasm and cpu', async () => {
    const x = randData([2, 4, 8], 16);
    const res = await runOnBackends(['cpu', 'wasm'], () => {
      const s = new ParamStore();
      const block = new TransformerEncoderBlock(s, 'b', { dModel: 8, numHeads: 2 }, 17);
      randomise(s, 18);
      const result = tf.tidy(() => {
        const xt = tf.tensor3d(x, [2, 4, 8]);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.square(block.apply(xt, { bias: causalBias(4) }))) as tf.Scalar,
          s.trainable(),
        );
        return { loss: value.dataSync()[0], grads: s.trainable().map((v) => Array.from(grads[v.name].dataSync())) };
      });
      s.dispose();
      return result;
    });
    expect(Math.abs(res.wasm.loss - res.cpu.loss) / Math.abs(res.cpu.loss)).toBeLessThan(1e-4);
    res.cpu.grads.forEach((g, i) => expect(maxAbsDiff(res.wasm.grads[i], g)).toBeLessThan(1e-2));
  });

  it('decoder block: padding in memory is ignored and the step leaves no tensors behind', () => {
    store = new ParamStore();
    const block = new TransformerDecoderBlock(
      store,
      'dec.0',
      { dModel: 8, numHeads: 2, memoryDim: 6, dropout: 0.1 },
      19,
    );
    randomise(store, 20);
    const memMask = tf.tensor2d([[1, 1, 1, 0]]);
    const x = tf.tensor3d(randData([1, 3, 8], 21), [1, 3, 8]);
    const mem = randData([1, 4, 6], 22);
    const selfBias = causalBias(3);
    const memoryBias = attentionBias({ keyMask: memMask })!;
    const run = (m: number[]) =>
      tf.tidy(() => block.apply(x, tf.tensor3d(m, [1, 4, 6]), { selfBias, memoryBias }).arraySync());
    const a = run(mem);
    const changed = mem.slice();
    for (let j = 0; j < 6; j++) changed[3 * 6 + j] = 99; // the padded memory slot
    expect(maxDiff3(run(changed), a)).toBeLessThan(1e-6);
    const leak = countTensorLeak(
      () =>
        tf.tidy(() => {
          block.apply(x, tf.tensor3d(mem, [1, 4, 6]), { selfBias, memoryBias, training: true, seed: 1 });
        }),
      2,
    );
    expect(leak).toBe(0);
    tf.dispose([memMask, x, selfBias, memoryBias]);
  });

  it('dropout is seeded: same seed same output, other seed differs, off at inference', () => {
    store = new ParamStore();
    const block = new TransformerEncoderBlock(store, 'd', { dModel: 8, numHeads: 2, dropout: 0.3 }, 23);
    const x = tf.tensor3d(randData([2, 4, 8], 24), [2, 4, 8]);
    const run = (o: { training?: boolean; seed?: number }) => tf.tidy(() => block.apply(x, o).arraySync());
    const a = run({ training: true, seed: 5 });
    expect(maxDiff3(run({ training: true, seed: 5 }), a)).toBe(0);
    expect(maxDiff3(run({ training: true, seed: 6 }), a)).toBeGreaterThan(1e-3);
    expect(maxDiff3(run({ training: false, seed: 5 }), run({}))).toBe(0);
    x.dispose();
  });

  it('token+position embeddings: gather and one-hot lookups agree, and both train on wasm', () => {
    store = new ParamStore();
    const emb = new TokenPositionEmbedding(store, 'emb', { vocabSize: 11, maxLength: 6, dModel: 4 }, 25);
    const ids = tf.tensor2d(
      [
        [1, 2, 3],
        [3, 3, 10],
      ],
      [2, 3],
      'int32',
    );
    const viaGather = tf.tidy(() => emb.apply(ids).arraySync());
    const oneHot = new TokenPositionEmbedding(
      new ParamStore(),
      'emb1',
      { vocabSize: 11, maxLength: 6, dModel: 4, lookup: 'onehot' },
      25,
    );
    const viaOneHot = tf.tidy(() => oneHot.apply(ids).arraySync());
    expect(maxDiff3(viaGather, viaOneHot)).toBeLessThan(1e-6);
    const g = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(emb.apply(ids)) as tf.Scalar, [emb.tokens]);
      return grads[emb.tokens.name].sum(1).arraySync() as number[];
    });
    // token 3 appears three times, 10 once, 0 never; each row sums dModel ones per use
    expect(g[3]).toBeCloseTo(12, 5);
    expect(g[10]).toBeCloseTo(4, 5);
    expect(g[0]).toBe(0);
    expect(() => tf.tidy(() => emb.apply(tf.zeros([1, 7], 'int32') as tf.Tensor2D))).toThrow(InvalidInputError);
    oneHot.tokens.dispose();
    oneHot.positions.dispose();
    ids.dispose();
  });

  it('rejects a head count that does not divide dModel', () => {
    store = new ParamStore();
    expect(() => new MultiHeadAttention(store, 'bad', { dModel: 10, numHeads: 3 }, 1)).toThrow(InvalidInputError);
  });
});

describe('Dense initScale', () => {
  it('scales the Glorot draw of the same seed, leaving the bias at zero', () => {
    const store = new ParamStore();
    try {
      const plain = new Dense(store, 'a', 6, 4, 5);
      const small = new Dense(store, 'b', 6, 4, 5, { initScale: 0.1 });
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mul(plain.w, 0.1), small.w))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-7);
      expect(tf.tidy(() => tf.max(tf.abs(small.w)).dataSync()[0])).toBeGreaterThan(0);
      expect(tf.tidy(() => tf.max(tf.abs(small.b!)).dataSync()[0])).toBe(0);
    } finally {
      store.dispose();
    }
  });
});
