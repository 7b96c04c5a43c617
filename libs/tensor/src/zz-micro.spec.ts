import * as tf from '@tensorflow/tfjs';
import { it, expect } from 'vitest';
import { initTensorBackend, uninstallKernelFixes, installKernelFixes } from './index';
it('micro', async () => {
  await initTensorBackend('wasm');
  const t = (label: string, f: () => tf.Tensor, n = 30) => {
    for (let i = 0; i < 3; i++) tf.tidy(() => { f().dataSync(); });
    const ts: number[] = [];
    for (let i = 0; i < n; i++) { const t0 = performance.now(); tf.tidy(() => { f(); }); ts.push(performance.now() - t0); }
    ts.sort((a, b) => a - b);
    console.log(label, ts[n >> 1].toFixed(3), 'ms min', ts[0].toFixed(3));
  };
  const x = tf.randomNormal([64, 32, 256]);
  const x2 = tf.reshape(x, [2048, 256]);
  const x4 = tf.reshape(x, [64, 32, 4, 64]);
  for (const mode of ['fixed', 'stock', 'fixed']) {
    if (mode === 'stock') uninstallKernelFixes(); else installKernelFixes('wasm');
    t(mode + ' transpose [2048,256]', () => tf.transpose(x2));
    t(mode + ' transpose4 [64,32,4,64]', () => tf.transpose(x4, [0, 2, 1, 3]));
    t(mode + ' relu', () => tf.relu(x));
    t(mode + ' add', () => tf.add(x, x));
  }
  const a = new Float32Array(524288), b = new Float32Array(524288);
  let t0 = performance.now();
  for (let k = 0; k < 20; k++) { for (let r0 = 0; r0 < 2048; r0 += 32) for (let c0 = 0; c0 < 256; c0 += 32) for (let r = r0; r < r0 + 32; r++) for (let c = c0; c < c0 + 32; c++) b[c * 2048 + r] = a[r * 256 + c]; }
  console.log('pure js blocked', ((performance.now() - t0) / 20).toFixed(3));
  expect(1).toBe(1);
}, 600000);
