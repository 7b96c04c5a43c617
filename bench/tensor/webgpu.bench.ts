import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import {
  Dense,
  initTensorBackend,
  ParamStore,
  sparseSoftmaxCrossEntropy,
  summarizeBackend,
  TransformerEncoder,
  trainStepAsync,
  type BackendDescription,
} from '@tessera/tensor';

/*
 * WebGPU against wasm in the same run (issue #8): 512² matmul GFLOP/s and one transformer training
 * step (causal encoder, 4 layers, vocabulary head, next-token cross-entropy, Adam) at d=64 and d=256,
 * batch 64×128 tokens. Every read is `await data()` (WebGPU has no synchronous download), on both
 * backends, so both are timed the same way. Never asserts.
 */

export interface WebGpuBenchOptions {
  /** Model widths to time; default [64, 256]. */
  dModels?: number[];
  /** Timed steps per backend and width after `warmup` (default 3 and 1); shrink on a software adapter. */
  steps?: number;
  warmup?: number;
  /** Batch rows and tokens per row (default 64×128, the size); shrink for a quick look. */
  batch?: number;
  tokens?: number;
  /** Accept a software adapter (lavapipe): a CPU rasteriser, so its figures say nothing about a GPU. */
  allowSoftware?: boolean;
  seed?: number;
  log?: (line: string) => void;
}

interface Timing {
  medianMs: number;
  p90Ms: number;
  n: number;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

function stats(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { medianMs: round(median), p90Ms: round(s[Math.min(s.length - 1, Math.floor(0.9 * s.length))]), n: s.length };
}

async function timeAsync(fn: () => Promise<void>, warmup: number, iters: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

async function matmulGflops(n: number, iters: number): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const { medianMs } = await timeAsync(
    async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    },
    5,
    iters,
  );
  tf.dispose([a, b]);
  return round((2 * n ** 3) / medianMs / 1e6, 1);
}

async function transformerStepMs(
  cfg: { dModel: number; batch: number; tokens: number; recompute: boolean },
  seed: number,
  warmup: number,
  steps: number,
): Promise<Timing & { loss: number; params: number }> {
  const vocab = 512;
  const store = new ParamStore();
  const rng = new Rng(seed);
  const encoder = new TransformerEncoder(
    store,
    'enc',
    { numLayers: 4, dModel: cfg.dModel, numHeads: 4, vocabSize: vocab, maxLength: cfg.tokens, dropout: 0.1 },
    rng,
  );
  const head = new Dense(store, 'head', cfg.dModel, vocab, rng);
  const ids = new Int32Array(cfg.batch * (cfg.tokens + 1));
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(vocab);
  const all = tf.tensor2d(ids, [cfg.batch, cfg.tokens + 1], 'int32');
  const inputs = tf.slice(all, [0, 0], [cfg.batch, cfg.tokens]) as tf.Tensor2D;
  const targets = tf.reshape(tf.slice(all, [0, 1], [cfg.batch, cfg.tokens]), [-1]) as tf.Tensor1D;
  const optimizer = tf.train.adam(1e-3);
  let step = 0;
  let loss = NaN;
  const timing = await timeAsync(
    async () => {
      step += 1;
      loss = await trainStepAsync(optimizer, store, () => {
        const h = encoder.apply(inputs, { causal: true, training: true, seed: seed + step, recompute: cfg.recompute });
        return sparseSoftmaxCrossEntropy(tf.reshape(head.apply(h), [-1, vocab]) as tf.Tensor2D, targets);
      });
    },
    warmup,
    steps,
  );
  const params = store.size();
  optimizer.dispose();
  store.dispose();
  tf.dispose([all, inputs, targets]);
  return { ...timing, loss: round(loss, 4), params };
}

/**
 * Runs the comparison when a WebGPU adapter loads (hardware, or software when allowed); otherwise
 * returns `{ available: false, reason }` without timing anything. Leaves the backend on wasm.
 */
export async function runWebGpuBench(opts: WebGpuBenchOptions = {}): Promise<Record<string, unknown>> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const dModels = opts.dModels ?? [64, 256];
  const steps = opts.steps ?? 3;
  const warmup = opts.warmup ?? 1;
  const batch = opts.batch ?? 64;
  const tokens = opts.tokens ?? 128;
  const seed = opts.seed ?? 7;
  let gpu: BackendDescription;
  try {
    gpu = await initTensorBackend('webgpu', { allowSoftwareWebGpu: opts.allowSoftware });
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    log(`[tensor] webgpu: not available (${reason})`);
    await initTensorBackend('wasm');
    return { available: false, reason };
  }
  const adapter = gpu.adapter;
  log(`[tensor] ${summarizeBackend(gpu)}`);
  const matmul: Record<string, number> = {};
  const step: Record<string, Record<string, Timing & { loss: number; recompute: boolean }>> = {};
  const ratio: Record<string, number | null> = {};
  let params: Record<string, number> = {};
  for (const backend of ['webgpu', 'wasm'] as const) {
    await initTensorBackend(backend, { allowSoftwareWebGpu: opts.allowSoftware });
    log(`[tensor] ${backend}: matmul 512x512`);
    matmul[backend] = await matmulGflops(512, backend === 'webgpu' && adapter?.software ? 5 : 20);
    for (const d of dModels) {
      // d=256 at 64×128 tokens overflows the wasm heap unless block activations are recomputed.
      const recompute = backend === 'wasm' && d >= 256;
      log(`[tensor] ${backend}: transformer step d=${d}, 4 layers, ${batch}x${tokens} tokens, ${steps} steps`);
      const r = await transformerStepMs({ dModel: d, batch, tokens, recompute }, seed, warmup, steps);
      (step[`d${d}`] ??= {})[backend] = { medianMs: r.medianMs, p90Ms: r.p90Ms, n: r.n, loss: r.loss, recompute };
      params = { ...params, [`d${d}`]: r.params };
    }
  }
  for (const [k, v] of Object.entries(step))
    ratio[k] = v.webgpu && v.wasm ? round(v.wasm.medianMs / v.webgpu.medianMs) : null;
  await initTensorBackend('wasm');
  return {
    available: true,
    adapter,
    software: adapter?.software ?? false,
    note: adapter?.software
      ? 'software adapter (lavapipe/SwiftShader): a CPU rasteriser sharing these cores, not a GPU; figures prove the path, not its speed'
      : undefined,
    model: { layers: 4, heads: 4, batch, tokens, vocab: 512, params },
    matmulGflops: matmul,
    transformerStep: step,
    /** wasm median / webgpu median per width: above 1, WebGPU is faster. */
    speedupVsWasm: ratio,
  };
}
