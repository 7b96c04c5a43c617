import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import {
  Dense,
  describeBackend,
  initTensorBackend,
  installKernelFixes,
  ParamStore,
  sparseSoftmaxCrossEntropy,
  TransformerEncoder,
  trainStepAsync,
  uninstallKernelFixes,
} from '@tessera/tensor';
import { cpus, loadavg } from 'node:os';
import { runWebGpuBench, type WebGpuBenchOptions } from './webgpu.bench';

/*
 * TF.js runtime benchmark: 512×512 matmul throughput per backend, the cost of transposed
 * matmuls with and without the wasm kernel fixes, and one transformer training step
 * (forward + backward + Adam) on wasm against cpu in the same process. Prints one JSON
 * object; never asserts.
 */

export interface TensorBenchOptions {
  /** 'small': 2 layers, d=64, 4 heads, batch 64×32. 'large' (issue #8): 4 layers, d=256, 64×128, wasm only. */
  size?: 'small' | 'large';
  /** Backends for the matmul and step timings; default wasm and cpu (plus tfjs-node/webgpu when they load). */
  backends?: string[];
  /** Timed steps after warm-up on fast backends (default 5, large 3), and on cpu (default 1 after 1 warm-up: a step takes tens of seconds). */
  steps?: number;
  cpuSteps?: number;
  warmup?: number;
  seed?: number;
  /** Activation checkpointing per block; default on for 'large'. */
  recompute?: boolean;
  log?: (line: string) => void;
  /** The WebGPU-vs-wasm comparison (webgpu.bench.ts) when an adapter loads; false skips it. */
  webgpu?: WebGpuBenchOptions | false;
}

interface Sizes {
  layers: number;
  dModel: number;
  heads: number;
  batch: number;
  tokens: number;
  vocab: number;
}

const SIZES: Record<'small' | 'large', Sizes> = {
  small: { layers: 2, dModel: 64, heads: 4, batch: 64, tokens: 32, vocab: 512 },
  large: { layers: 4, dModel: 256, heads: 4, batch: 64, tokens: 128, vocab: 512 },
};

function stats(ms: number[]): { medianMs: number; p90Ms: number; n: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return {
    medianMs: round(s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2),
    p90Ms: round(at(0.9)),
    n: s.length,
  };
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

/** Median ms of `fn` (which must read its result back, so async backends finish). */
function time(fn: () => void, warmup: number, iters: number): { medianMs: number; p90Ms: number; n: number } {
  for (let i = 0; i < warmup; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

/** time() for a step that awaits its read-back (training steps read their loss with `await data()`). */
async function timeAsync(
  fn: () => Promise<unknown>,
  warmup: number,
  iters: number,
): Promise<{ medianMs: number; p90Ms: number; n: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

function matmulGflops(n: number, transposed: boolean, iters: number): number {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const { medianMs } = time(
    () =>
      tf.tidy(() => {
        tf.matMul(a, b, transposed, transposed).dataSync();
      }),
    // the first products after a backend switch pay for kernel set-up: warm up well before timing
    5,
    iters,
  );
  tf.dispose([a, b]);
  return round((2 * n ** 3) / medianMs / 1e6, 1);
}

/** One LM-style training step: causal encoder, vocabulary head, next-token cross-entropy, Adam. */
async function transformerStep(
  size: Sizes,
  seed: number,
  warmup: number,
  steps: number,
  recompute: boolean,
): Promise<{ medianMs: number; p90Ms: number; n: number; loss: number; params: number }> {
  const store = new ParamStore();
  const rng = new Rng(seed);
  const encoder = new TransformerEncoder(
    store,
    'enc',
    {
      numLayers: size.layers,
      dModel: size.dModel,
      numHeads: size.heads,
      vocabSize: size.vocab,
      maxLength: size.tokens,
      dropout: 0.1,
    },
    rng,
  );
  const head = new Dense(store, 'head', size.dModel, size.vocab, rng);
  const ids = new Int32Array(size.batch * (size.tokens + 1));
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(size.vocab);
  const all = tf.tensor2d(ids, [size.batch, size.tokens + 1], 'int32');
  const inputs = tf.slice(all, [0, 0], [size.batch, size.tokens]) as tf.Tensor2D;
  const targets = tf.reshape(tf.slice(all, [0, 1], [size.batch, size.tokens]), [-1]) as tf.Tensor1D;
  const optimizer = tf.train.adam(1e-3);
  let step = 0;
  let loss = NaN;
  const run = async () => {
    step += 1;
    loss = await trainStepAsync(optimizer, store, () => {
      const h = encoder.apply(inputs, { causal: true, training: true, seed: seed + step, recompute });
      const logits = tf.reshape(head.apply(h), [-1, size.vocab]);
      return sparseSoftmaxCrossEntropy(logits as tf.Tensor2D, targets);
    });
  };
  const timing = await timeAsync(run, warmup, steps);
  const params = store.size();
  optimizer.dispose();
  store.dispose();
  tf.dispose([all, inputs, targets]);
  return { ...timing, loss: round(loss, 4), params };
}

/** Backward of a dense layer, x[rows, k]·W[k, n], with the stock matMul gradients, fixes on and off (wasm). */
function denseBackwardMs(rows: number, k: number, n: number, iters: number): number {
  const x = tf.randomNormal([rows, k], 0, 1, 'float32', 3);
  const w = tf.randomNormal([k, n], 0, 1, 'float32', 4);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)));
  const { medianMs } = time(
    () =>
      tf.tidy(() => {
        g([x, w]).forEach((t) => t.dataSync());
      }),
    2,
    iters,
  );
  tf.dispose([x, w]);
  return round(medianMs);
}

export async function runTensorBench(opts: TensorBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const sizeName = opts.size ?? 'small';
  const size = SIZES[sizeName];
  const seed = opts.seed ?? 7;
  const warmup = opts.warmup ?? 2;
  const steps = opts.steps ?? (sizeName === 'large' ? 3 : 5);
  const cpuSteps = opts.cpuSteps ?? 1;
  // The large step keeps more than the wasm heap holds (it aborted with 'memory access out of
  // bounds'), so it recomputes block activations in the backward pass.
  const recompute = opts.recompute ?? sizeName === 'large';
  const auto = await initTensorBackend('auto');
  const backends = opts.backends ?? [
    ...new Set([
      auto.backend === 'tensorflow' ? 'tensorflow' : auto.backend,
      'wasm',
      ...(sizeName === 'small' ? ['cpu'] : []),
    ]),
  ];

  // WebGPU cannot download synchronously, which these timings do: it has its own section below.
  const syncBackends = backends.filter((b) => b !== 'webgpu');
  const matmul: Record<string, number> = {};
  const stepMs: Record<string, number> = {};
  const stepP90Ms: Record<string, number> = {};
  const stepRuns: Record<string, number> = {};
  const losses: Record<string, number> = {};
  const tried: Record<string, string> = {};
  let params = 0;
  for (const name of syncBackends) {
    try {
      const d = await initTensorBackend(name as never);
      const slow = d.backend === 'cpu';
      log(`[tensor] ${d.backend}: matmul 512x512`);
      matmul[d.backend] = matmulGflops(512, false, slow ? 3 : 20);
      if (slow && sizeName === 'large') continue;
      log(
        `[tensor] ${d.backend}: transformer step (${sizeName}), ${slow ? cpuSteps : steps} steps after ${slow ? 1 : warmup} warm-up`,
      );
      const r = await transformerStep(size, seed, slow ? 1 : warmup, slow ? cpuSteps : steps, recompute);
      stepMs[d.backend] = r.medianMs;
      stepP90Ms[d.backend] = r.p90Ms;
      stepRuns[d.backend] = r.n;
      losses[d.backend] = r.loss;
      params = r.params;
      tried[name] = 'ok';
    } catch (e) {
      tried[name] = e instanceof Error ? e.message.split('\n')[0] : String(e);
      log(`[tensor] ${name}: skipped (${tried[name]})`);
    }
  }

  // What the kernel fixes buy on wasm: transposed matmul and a dense layer's backward.
  let fixes: Record<string, number> | undefined;
  if (backends.includes('wasm')) {
    await initTensorBackend('wasm');
    log('[tensor] wasm: stock vs fixed transposed matmul and dense backward');
    const fixedT = matmulGflops(512, true, 5);
    // the small model's FFN shape: the stock path is too slow to time at the large one
    const dense = SIZES.small;
    const fixedDense = denseBackwardMs(dense.batch * dense.tokens, dense.dModel, 4 * dense.dModel, 5);
    uninstallKernelFixes();
    const stockT = matmulGflops(512, true, 3);
    const stockDense = denseBackwardMs(dense.batch * dense.tokens, dense.dModel, 4 * dense.dModel, 3);
    installKernelFixes('wasm');
    fixes = {
      transposedMatmulGflopsStock: stockT,
      transposedMatmulGflopsFixed: fixedT,
      denseBackwardMsStock: stockDense,
      denseBackwardMsFixed: fixedDense,
      denseBackwardSpeedup: round(stockDense / fixedDense),
    };
  }
  const webgpu = opts.webgpu === false ? undefined : await runWebGpuBench({ log, seed, ...opts.webgpu });
  await initTensorBackend(auto.backend === 'tensorflow' ? 'tensorflow' : (auto.backend as never));
  const result = {
    bench: 'tensor',
    size: sizeName,
    model: { ...size, dFF: 4 * size.dModel, params, dropout: 0.1, recompute },
    backend: describeBackend().backend,
    simd: auto.simd,
    threads: auto.threads,
    tried: auto.tried,
    matmulGflops: matmul,
    transformerStepMs: stepMs,
    transformerStepP90Ms: stepP90Ms,
    transformerStepRuns: stepRuns,
    speedupVsCpu: stepMs.wasm && stepMs.cpu ? round(stepMs.cpu / stepMs.wasm, 1) : null,
    finalLoss: losses,
    wasmFixes: fixes,
    webgpu,
    backendsRun: tried,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    // Other processes on a shared machine skew absolute times; ratios within the run hold up better.
    loadAverage1m: round(loadavg()[0]),
  };
  return result;
}
