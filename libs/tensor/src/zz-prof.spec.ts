import * as tf from '@tensorflow/tfjs';
import { it, expect } from 'vitest';
import { Dense, initTensorBackend, ParamStore, TransformerEncoder, sparseSoftmaxCrossEntropy } from './index';
import { Rng } from '@tessera/common';
it('prof', async () => {
  await initTensorBackend('wasm');
  const size = { layers: 2, dModel: 64, heads: 4, batch: 64, tokens: 32, vocab: 512 };
  const store = new ParamStore(); const rng = new Rng(1);
  const encoder = new TransformerEncoder(store, 'enc', { numLayers: 2, dModel: 64, numHeads: 4, vocabSize: 512, maxLength: 32, dropout: 0.1 }, rng);
  const head = new Dense(store, 'head', 64, 512, rng);
  const ids = tf.randomUniform([64, 33], 0, 512, 'int32', 3);
  const inputs = tf.slice(ids, [0, 0], [64, 32]) as tf.Tensor2D;
  const targets = tf.reshape(tf.slice(ids, [0, 1], [64, 32]), [-1]) as tf.Tensor1D;
  const opt = tf.train.adam(1e-3);
  const step = () => tf.tidy(() => { opt.minimize(() => {
    const h = encoder.apply(inputs, { causal: true, training: true, seed: 1 });
    const logits = tf.reshape(head.apply(h), [-1, 512]);
    return sparseSoftmaxCrossEntropy(logits as tf.Tensor2D, targets);
  }, true, store.trainable())!.dataSync(); });
  step(); step();
  const info = await tf.profile(() => { step(); });
  const agg = new Map<string, {ms: number, n: number}>();
  let total = 0;
  for (const k of info.kernels) { const t = Number(k.kernelTimeMs) || 0; total += t; const key = k.name + ' ' + JSON.stringify(k.inputShapes).slice(0, 60); const a = agg.get(key) ?? {ms:0,n:0}; a.ms += t; a.n++; agg.set(key, a); }
  const byName = new Map<string, number>();
  for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (Number(k.kernelTimeMs) || 0));
  console.log('total kernel ms', total.toFixed(1), 'kernels', info.kernels.length);
  console.log([...byName].sort((a,b)=>b[1]-a[1]).slice(0,20).map(([k,v])=>k+' '+v.toFixed(1)).join('\n'));
  console.log([...agg].sort((a,b)=>b[1].ms-a[1].ms).slice(0,25).map(([k,v])=>v.ms.toFixed(1)+' x'+v.n+' '+k).join('\n'));
  const t0 = performance.now(); step(); step(); step(); console.log('step ms', ((performance.now()-t0)/3).toFixed(1));
  expect(1).toBe(1);
}, 600000);
