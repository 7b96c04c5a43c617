import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CorruptDataError, Rng } from '@tessera/common';
import { ByteTokenizer, SftTrainer, TransformerLm } from '@tessera/alignment/lm';
import {
  BradleyTerryRewardModel,
  PreferenceTrainer,
  RewardModelTrainer,
  parseDpoConfig,
  parseKtoConfig,
  type BinaryFeedback,
  type PreferencePair,
} from '@tessera/alignment/preference';
import {
  ColdStartModel,
  ColdStartTrainer,
  ItemContentTokenizer,
  buildBatch,
  indexInteractions,
  parseColdStartConfig,
} from '@tessera/models/coldstart';
import {
  SyntheticVideoWorld,
  VttwinsConfig,
  VttwinsTrainer,
  type S2dtwOptions,
  resolveS2dtwOptions,
  s2dtwBackwardBatch,
  s2dtwContrastiveLoss,
  s2dtwForwardBatch,
  sequenceInfoNceLoss,
} from '@tessera/models/vttwins';
import {
  describeBackend,
  type HostOp,
  hostOpValueAndGrads,
  initTensorBackend,
  loadCheckpoint,
  maxAbsDiff,
  runOnBackends,
  saveCheckpoint,
  sparseSoftmaxCrossEntropy,
  summarizeBackend,
  webGpuDeviceErrors,
} from '@tessera/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_WORLD_OPTIONS, tinyVttwinsEncoders } from '../../models/vttwins/src/training/tiny-vttwins.testing';
import { probeWebGpuSync } from './webgpu-probe';

/**
 * The same small training steps on `webgpu` and on `cpu` (the reference), comparing losses and
 * gradients. Runs on a real GPU or on Mesa's lavapipe (scripts/install-vulkan-sw.sh); every kernel
 * runs on the device (WEBGPU_CPU_FORWARD off), and every read is `await data()`.
 */
const probe = probeWebGpuSync({ allowSoftware: true });
const skipReason = probe.ok ? '' : ` (skipped: ${probe.reason})`;
console.log(
  probe.ok
    ? `webgpu correctness: adapter ${probe.reason}${probe.software ? ' (software)' : ''}`
    : `webgpu correctness suite skipped: ${probe.reason}`,
);

const BACKENDS = ['cpu', 'webgpu'] as const;
const WEBGPU_OPTS = { allowSoftwareWebGpu: true, webGpuCpuForward: false };
/** Float32 on different kernels (tiled matmuls, other reduction orders): a few e-5, relative. */
const REL_TOL = 5e-5;

/** max |a − b| / max(max |b|, floor): relative to the array's scale, so near-zero entries do not dominate. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, floor);
}

async function readGrads(grads: tf.NamedTensorMap, order: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const name of order) out.push(Array.from(await grads[name].data()));
  tf.dispose(Object.values(grads));
  return out;
}

/**
 * Each tensor within `tol` of the reference, relative to its own scale, floored at 1e-3 of the largest
 * gradient: some gradients are exactly zero in exact arithmetic (the attention key bias: softmax
 * ignores a shift shared by a row) and are float noise of different kernels on both backends.
 */
function expectClose(name: string, got: number[][], want: number[][], tol = REL_TOL, labels: string[] = []): void {
  expect(got.length, `${name}: number of tensors`).toBe(want.length);
  const largest = Math.max(...want.map((w) => w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  const bad = got
    .map((g, i) => ({ label: labels[i] ?? String(i), e: relErr(g, want[i], largest * 1e-3) }))
    .filter((x) => !(x.e < tol))
    .map((x) => `${x.label}: ${x.e.toExponential(2)}`);
  expect(bad, `${name}: relative error above ${tol}`).toEqual([]);
}

/** The tiny VT-TWINS world both VT-TWINS checks train on (the sizes of the vttwins trainer spec). */
function tinyVttwinsWorld(): SyntheticVideoWorld {
  return new SyntheticVideoWorld(TINY_WORLD_OPTIONS, 5);
}

describe.skipIf(!probe.ok)(`webgpu matches cpu on training steps${skipReason}`, () => {
  afterAll(async () => {
    await initTensorBackend('wasm');
  });

  it('initialises the real WebGPU backend and reports its adapter', async () => {
    const d = await initTensorBackend('webgpu', WEBGPU_OPTS);
    console.log(summarizeBackend(d));
    expect(d.backend).toBe('webgpu');
    expect(d.adapter?.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(d.adapter?.software).toBe(probe.software);
    // A download that is not cached on the host has to be async on this backend.
    const t = tf.matMul(tf.ones([4, 4]), tf.ones([4, 4]));
    expect(Array.from(await t.data())).toEqual(new Array(16).fill(4));
    t.dispose();
  });

  it('cold-start encoder: encoder gradients and two Adam steps (losses, weights)', async () => {
    const tokenizer = new ItemContentTokenizer([
      { name: 'title', fields: ['text'], maxLength: 6, buckets: 64 },
      { name: 'tags', fields: ['text'], maxLength: 3, buckets: 32 },
    ]);
    const texts = ['red fox jumps', 'blue whale sings', 'green frog', 'red wine', 'blue moon rises', 'old oak'];
    const tokens = new Map(texts.map((t, i) => [i + 1, tokenizer.tokenize({ itemId: i + 1, fields: { text: t } })]));
    const interactions = [
      { userId: 1, itemId: 1 },
      { userId: 1, itemId: 4 },
      { userId: 2, itemId: 2 },
      { userId: 2, itemId: 5 },
      { userId: 3, itemId: 3 },
      { userId: 3, itemId: 6 },
    ];
    const index = indexInteractions(interactions);
    const out = await runOnBackends(
      [...BACKENDS],
      async () => {
        const config = parseColdStartConfig({ dModel: 16, numHeads: 2, dropout: 0, alignmentWeight: 0.5, seed: 9 });
        const model = new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, [1, 2, 3], tokenizer);
        const items = [...tokens.values()];
        const vars = model.store.trainable();
        const names = vars.map((v) => v.name);
        const r = new Rng(5);
        const probeW = tf.tensor2d(
          Float32Array.from({ length: items.length * model.dim }, () => r.normal()),
          [items.length, model.dim],
        );
        const g = tf.variableGrads(
          () => tf.sum(tf.mul(model.encoder.encode(items, { training: true, seed: 1 }).z, probeW)) as tf.Scalar,
          vars,
        );
        const encoderValue = (await g.value.data())[0];
        g.value.dispose();
        probeW.dispose();
        const grads = await readGrads(g.grads, names);
        const trainer = new ColdStartTrainer(config, model);
        const batch = buildBatch(interactions, index, (u) => model.rowOf(u), new Rng(1), config)!;
        const losses = [
          await trainer.stepAsync(batch, (id) => tokens.get(id), 1),
          await trainer.stepAsync(batch, (id) => tokens.get(id), 2),
        ];
        const weights: number[][] = [];
        for (const v of model.store.trainable()) weights.push(Array.from(await v.data()));
        trainer.dispose();
        model.dispose();
        return { encoderValue, grads, losses, weights, names };
      },
      WEBGPU_OPTS,
    );
    const [cpu, gpu] = [out.cpu, out.webgpu];
    expect(relErr([gpu.encoderValue], [cpu.encoderValue])).toBeLessThan(REL_TOL);
    expectClose('encoder grads', gpu.grads, cpu.grads, REL_TOL, cpu.names);
    expect(relErr(gpu.losses, cpu.losses)).toBeLessThan(REL_TOL);
    // Adam's step is about ±lr whatever the gradient's size, so a gradient that is float noise (the
    // key bias, see expectClose) moves its weights differently on the two backends: compare the others.
    const largest = Math.max(...cpu.grads.map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    const real = cpu.grads.map((g) => g.some((v) => Math.abs(v) > largest * 1e-3));
    expect(real.filter(Boolean).length).toBeGreaterThan(cpu.grads.length / 2);
    const pick = <T>(xs: T[]) => xs.filter((_, i) => real[i]);
    // An Adam step moves a weight by about lr: the backends agree to within 5% of one step.
    const lr = parseColdStartConfig().encoderLr;
    const moved = pick(gpu.weights).map((w, i) => maxAbsDiff(w, pick(cpu.weights)[i]));
    expect(Math.max(...moved)).toBeLessThan(0.05 * lr);
  });

  it('cold-start serving: encodeItems, userEmbedding and scoreUsers after a training step', async () => {
    const tokenizer = new ItemContentTokenizer([{ name: 'title', fields: ['text'], maxLength: 6, buckets: 64 }]);
    const texts = ['red fox jumps', 'blue whale sings', 'green frog', 'red wine', 'blue moon rises', 'old oak'];
    const items = texts.map((t, i) => tokenizer.tokenize({ itemId: i + 1, fields: { text: t } }));
    const interactions = [
      { userId: 1, itemId: 1 },
      { userId: 2, itemId: 2 },
      { userId: 3, itemId: 3 },
    ];
    const out = await runOnBackends(
      [...BACKENDS],
      async () => {
        const config = parseColdStartConfig({ dModel: 16, numHeads: 2, dropout: 0, seed: 4 });
        const model = new ColdStartModel({ ...config, modalities: tokenizer.modalitySpecs() }, [1, 2, 3], tokenizer);
        const trainer = new ColdStartTrainer(config, model);
        const batch = buildBatch(
          interactions,
          indexInteractions(interactions),
          (u) => model.rowOf(u),
          new Rng(1),
          config,
        )!;
        await trainer.stepAsync(batch, (id) => items[id - 1], 1);
        const before = tf.memory().numTensors;
        // batch size 4 over 6 items: two forward passes, the second one partial
        const z = await model.encodeItems(items, 4);
        const user = await model.userEmbedding(2);
        const scores = await model.scoreUsers([1, 99, 3], z);
        const leaked = tf.memory().numTensors - before;
        trainer.dispose();
        model.dispose();
        return { z: z.flatMap((v) => Array.from(v)), user: Array.from(user!), scores: Array.from(scores), leaked };
      },
      WEBGPU_OPTS,
    );
    const [cpu, gpu] = [out.cpu, out.webgpu];
    expect(gpu.leaked).toBe(0);
    expect(gpu.z).toHaveLength(6 * 16);
    expect(relErr(gpu.z, cpu.z)).toBeLessThan(REL_TOL);
    expect(relErr(gpu.user, cpu.user)).toBeLessThan(REL_TOL);
    // user 99 was never seen: a zero row on both backends
    expect(gpu.scores.slice(6, 12)).toEqual(new Array(6).fill(0));
    expect(relErr(gpu.scores, cpu.scores)).toBeLessThan(REL_TOL);
  });

  it('S2DTW: contrastive loss and encoder gradients through the host op, forward and backward', async () => {
    const [b, n, m, d, f] = [3, 5, 4, 8, 12];
    const opts: S2dtwOptions = resolveS2dtwOptions({ gamma: 0.1 });
    const r = new Rng(11);
    const xv = Float32Array.from({ length: b * n * f }, () => r.normal());
    const xt = Float32Array.from({ length: b * m * f }, () => r.normal());
    const wv0 = Float32Array.from({ length: f * d }, () => r.normal() * 0.3);
    const wt0 = Float32Array.from({ length: f * d }, () => r.normal() * 0.3);
    const s2dtwHost: HostOp = {
      forward(z, shape) {
        const [batch, rows, cols] = shape as [number, number, number];
        const { similarity, state } = s2dtwForwardBatch(z, batch, rows, cols, opts);
        return {
          output: Float32Array.from(similarity),
          shape: [b, b],
          backward: (dy) => s2dtwBackwardBatch(state, dy),
        };
      },
    };
    const out = await runOnBackends(
      [...BACKENDS],
      async () => {
        const wv = tf.variable(tf.tensor2d(wv0, [f, d]), true, 'gpu-suite.wv');
        const wt = tf.variable(tf.tensor2d(wt0, [f, d]), true, 'gpu-suite.wt');
        const embed = (x: Float32Array, len: number, w: tf.Variable) =>
          tf.reshape(
            tf.div(
              tf.matMul(tf.tensor2d(x, [b * len, f]), w),
              tf.norm(tf.matMul(tf.tensor2d(x, [b * len, f]), w), 2, 1, true),
            ),
            [b, len, d],
          );
        // Z for every (text i, video j) pair, rows clips, columns sentences: as s2dtwPairSimilarities builds it.
        const front = () => {
          const all = tf.matMul(
            tf.reshape(embed(xv, n, wv), [b * n, d]),
            tf.reshape(embed(xt, m, wt), [b * m, d]),
            false,
            true,
          );
          return tf.reshape(tf.transpose(tf.reshape(all, [b, n, b, m]), [2, 0, 1, 3]), [b * b, n, m]);
        };
        const res = await hostOpValueAndGrads(front, s2dtwHost, (y) => sequenceInfoNceLoss(y as tf.Tensor2D), [wv, wt]);
        const grads = await readGrads(res.grads, [wv.name, wt.name]);
        // On cpu also the synchronous customGrad op the trainer uses: the host-op route must agree with it.
        let reference: { value: number; grads: number[][] } | undefined;
        if (tf.getBackend() === 'cpu') {
          const g = tf.variableGrads(() => s2dtwContrastiveLoss(embed(xv, n, wv), embed(xt, m, wt), opts), [wv, wt]);
          reference = { value: (await g.value.data())[0], grads: await readGrads(g.grads, [wv.name, wt.name]) };
          g.value.dispose();
        }
        tf.dispose([wv, wt]);
        return { value: res.value, grads, reference };
      },
      WEBGPU_OPTS,
    );
    const [cpu, gpu] = [out.cpu, out.webgpu];
    expect(Number.isFinite(cpu.value)).toBe(true);
    expect(relErr([cpu.value], [cpu.reference!.value])).toBeLessThan(1e-6);
    expectClose('host-op vs customGrad (cpu)', cpu.grads, cpu.reference!.grads, 1e-5);
    expect(relErr([gpu.value], [cpu.value])).toBeLessThan(REL_TOL);
    expectClose('S2DTW encoder grads', gpu.grads, cpu.grads);
  });

  it('VT-TWINS trainer: two async steps (S2DTW loss, temporal augmentation) give the same losses and embeddings', async () => {
    const world = tinyVttwinsWorld();
    const batch = world.batch(new Rng(2), 3);
    const probeVideo = world.video(new Rng(3)).frames;
    const out = await runOnBackends(
      [...BACKENDS],
      async () => {
        const { video, text } = tinyVttwinsEncoders(world);
        const config = VttwinsConfig.create({
          clipsPerVideo: 4,
          batchSize: 3,
          learningRate: 1e-2,
          temporalAugmentation: true,
        });
        const trainer = new VttwinsTrainer(config, video, text);
        const losses = [await trainer.stepAsync(batch), await trainer.stepAsync(batch)];
        const z = video.encode(probeVideo, 4);
        const embedding = Array.from(await z.data());
        z.dispose();
        trainer.dispose();
        video.dispose();
        text.dispose();
        return { losses, embedding };
      },
      WEBGPU_OPTS,
    );
    expect(relErr(out.webgpu.losses, out.cpu.losses)).toBeLessThan(REL_TOL);
    expect(relErr(out.webgpu.embedding, out.cpu.embedding)).toBeLessThan(2e-4);
  });

  it('transformer LM: next-token loss gradients and two SFT steps', async () => {
    const tok = new ByteTokenizer();
    const rows = [
      { prompt: 'A:', completion: ' yes' },
      { prompt: 'B:', completion: ' no' },
      { prompt: 'C:', completion: ' maybe' },
    ];
    const r = new Rng(3);
    const [batch, len] = [3, 12];
    const ids = Int32Array.from({ length: batch * len }, () => r.int(tok.vocabSize));
    const out = await runOnBackends(
      [...BACKENDS],
      async () => {
        const lm = new TransformerLm(
          { vocabSize: tok.vocabSize, contextLength: 16, dModel: 16, nHeads: 2, nLayers: 2, seed: 7 },
          tok,
        );
        const vars = lm.trainableVariables();
        const names = vars.map((v) => v.name);
        const input = tf.tensor2d(ids, [batch, len], 'int32');
        const g = tf.variableGrads(() => {
          const logits = tf.slice(lm.logits(input), [0, 0, 0], [batch, len - 1, tok.vocabSize]);
          const labels = tf.reshape(tf.slice(input, [0, 1], [batch, len - 1]), [-1]) as tf.Tensor1D;
          return sparseSoftmaxCrossEntropy(tf.reshape(logits, [-1, tok.vocabSize]) as tf.Tensor2D, labels);
        }, vars);
        const loss = (await g.value.data())[0];
        g.value.dispose();
        input.dispose();
        const grads = await readGrads(g.grads, names);
        const trainer = new SftTrainer(lm, { epochs: 1, batchSize: 3, learningRate: 1e-2, seed: 1 });
        const steps = [await trainer.step(rows), await trainer.step(rows)];
        trainer.dispose();
        lm.dispose();
        return { loss, grads, names, sft: steps.flatMap((s) => [s.loss, s.gradNorm]) };
      },
      WEBGPU_OPTS,
    );
    const [cpu, gpu] = [out.cpu, out.webgpu];
    expect(cpu.loss).toBeGreaterThan(Math.log(tok.vocabSize) * 0.8); // near ln V at initialisation
    expect(relErr([gpu.loss], [cpu.loss])).toBeLessThan(REL_TOL);
    expectClose('LM grads', gpu.grads, cpu.grads, REL_TOL, cpu.names);
    expect(relErr(gpu.sft, cpu.sft)).toBeLessThan(2e-4);
  });

  // Toy preference data shared by the DPO, KTO and reward-model steps: " yes" is preferred to " no".
  const prefPairs: PreferencePair[] = ['Q1:', 'Q2:', 'Q3:', 'Q4:'].map((prompt, i) => ({
    id: `p${i}`,
    prompt,
    chosen: ' yes',
    rejected: i % 2 ? ' no' : ' nope',
    source: 'toy',
  }));
  const prefThumbs: BinaryFeedback[] = prefPairs.flatMap((p) => [
    { id: `${p.id}+`, prompt: p.prompt, completion: p.chosen, label: true, source: 'toy' },
    { id: `${p.id}-`, prompt: p.prompt, completion: p.rejected, label: false, source: 'toy' },
  ]);
  const prefTok = new ByteTokenizer();
  const prefLm = () =>
    new TransformerLm(
      { vocabSize: prefTok.vocabSize, contextLength: 16, dModel: 16, nHeads: 2, nLayers: 1, seed: 3 },
      prefTok,
    );
  const PREF_LR = 1e-2;

  /** Two preference steps against a frozen copy; the step metrics, the weights after, and their update sizes. */
  async function preferenceSteps(algorithm: 'dpo' | 'kto') {
    const out = await runOnBackends(
      [...BACKENDS],
      async () => {
        const policy = prefLm();
        const reference = policy.frozenCopy();
        const before: number[][] = [];
        for (const v of policy.trainableVariables()) before.push(Array.from(await v.data()));
        const config =
          algorithm === 'dpo'
            ? parseDpoConfig({ batchSize: 4, learningRate: PREF_LR })
            : parseKtoConfig({ batchSize: 8, learningRate: PREF_LR });
        const trainer = new PreferenceTrainer({ policy, reference, config });
        const steps =
          algorithm === 'dpo'
            ? [await trainer.stepPaired(prefPairs), await trainer.stepPaired(prefPairs)]
            : [await trainer.stepUnpaired(prefThumbs), await trainer.stepUnpaired(prefThumbs)];
        const weights: number[][] = [];
        for (const v of policy.trainableVariables()) weights.push(Array.from(await v.data()));
        trainer.dispose();
        reference.dispose();
        policy.dispose();
        return {
          metrics: steps.flatMap((m) => [m.loss, m.gradNorm, m.rewardChosen, m.rewardRejected]),
          z0: steps.map((m) => m.z0 ?? 0),
          weights,
          moved: weights.map((w, i) => maxAbsDiff(w, before[i])),
        };
      },
      WEBGPU_OPTS,
    );
    return { cpu: out.cpu, gpu: out.webgpu };
  }

  /** Weights after two Adam steps (each moves a weight by about lr): the backends agree to 5% of one step. */
  function expectWeightsAgree(cpu: { weights: number[][]; moved: number[] }, gpu: { weights: number[][] }): void {
    expect(Math.max(...cpu.moved)).toBeGreaterThan(0.5 * PREF_LR); // the steps did update the policy
    const diffs = gpu.weights.map((w, i) => maxAbsDiff(w, cpu.weights[i]));
    expect(Math.max(...diffs)).toBeLessThan(0.05 * PREF_LR);
  }

  it('DPO: two PreferenceTrainer steps (losses, grad norms, implicit rewards, weights)', async () => {
    const { cpu, gpu } = await preferenceSteps('dpo');
    expect(cpu.metrics[0]).toBeCloseTo(Math.LN2, 5); // against an identical reference
    expect(relErr(gpu.metrics, cpu.metrics)).toBeLessThan(REL_TOL);
    expectWeightsAgree(cpu, gpu);
  });

  it('KTO: two PreferenceTrainer steps (z0 from mismatched pairs, losses, weights)', async () => {
    const { cpu, gpu } = await preferenceSteps('kto');
    expect(cpu.metrics[0]).toBeCloseTo(0.5, 5);
    expect(relErr(gpu.metrics, cpu.metrics)).toBeLessThan(REL_TOL);
    expect(maxAbsDiff(gpu.z0, cpu.z0)).toBeLessThan(1e-5);
    expectWeightsAgree(cpu, gpu);
  });

  it('reward model: two Bradley–Terry training steps on a transformer backbone, then scoring', async () => {
    const out = await runOnBackends(
      [...BACKENDS],
      async () => {
        const lm = prefLm();
        const rm = new BradleyTerryRewardModel(lm, { seed: 2 });
        const trainer = new RewardModelTrainer(rm, { learningRate: PREF_LR, batchSize: 4 });
        const steps = [await trainer.step(prefPairs), await trainer.step(prefPairs, 1)];
        const scores = await rm.score(prefPairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })));
        const head = Array.from(await rm.headWeight.data());
        trainer.dispose();
        rm.dispose();
        lm.dispose();
        return {
          metrics: steps.flatMap((s) => [s.loss, s.gradNorm]),
          accuracy: steps.map((s) => s.accuracy),
          scores: Array.from(scores),
          head,
        };
      },
      WEBGPU_OPTS,
    );
    const [cpu, gpu] = [out.cpu, out.webgpu];
    expect(cpu.metrics[0]).toBeCloseTo(Math.LN2, 2); // rewards start near 0
    expect(relErr(gpu.metrics, cpu.metrics)).toBeLessThan(REL_TOL);
    expect(gpu.accuracy).toEqual(cpu.accuracy);
    expect(relErr(gpu.scores, cpu.scores)).toBeLessThan(REL_TOL);
    expect(maxAbsDiff(gpu.head, cpu.head)).toBeLessThan(0.05 * PREF_LR);
  });

  it('VT-TWINS train() with a checkpoint hook saves every step, and the saved weights load back', async () => {
    const world = tinyVttwinsWorld();
    const root = mkdtempSync(join(tmpdir(), 'tessera-gpu-ckpt-'));
    try {
      const out = await runOnBackends(
        [...BACKENDS],
        async () => {
          const build = () => tinyVttwinsEncoders(world, { sharedStore: true });
          const { video, text } = build();
          const config = VttwinsConfig.create({
            clipsPerVideo: 4,
            batchSize: 3,
            learningRate: 1e-2,
            steps: 2,
            checkpointEvery: 1,
          });
          const dir = join(root, tf.getBackend());
          const saved: { step: number; weights: Record<string, { values: Float32Array }> }[] = [];
          const trainer = new VttwinsTrainer(config, video, text, {
            onCheckpoint: async (c) => {
              saved.push({ step: c.step, weights: c.weights });
              await saveCheckpoint(dir, c.stores[0], { optimizer: c.optimizer });
            },
          });
          const losses = await trainer.train((s) => world.batch(new Rng(10 + s), 3));
          // The last checkpoint on disk restores the trained weights into fresh encoders.
          const fresh = build();
          await loadCheckpoint(dir, fresh.video.weights.store);
          const restored: number[] = [];
          const trained: number[] = [];
          for (const [name, v] of fresh.video.weights.store.entries()) {
            restored.push(...(await v.data()));
            trained.push(...(await video.weights.store.get(name).data()));
          }
          const last = saved[saved.length - 1].weights['video.patchW'].values;
          trainer.dispose();
          video.dispose();
          text.dispose();
          fresh.video.dispose();
          fresh.text.dispose();
          return { steps: saved.map((c) => c.step), losses, restored, trained, last: Array.from(last) };
        },
        WEBGPU_OPTS,
      );
      const [cpu, gpu] = [out.cpu, out.webgpu];
      expect(gpu.steps).toEqual([1, 2]);
      expect(gpu.restored).toEqual(gpu.trained);
      expect(relErr(gpu.losses, cpu.losses)).toBeLessThan(REL_TOL);
      expect(relErr(gpu.last, cpu.last)).toBeLessThan(REL_TOL);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  // Last: a device error poisons every later read in this process, by design.
  it('a tensor over maxStorageBufferBindingSize makes the next read throw CorruptDataError, not return wrong numbers', async () => {
    const d = await initTensorBackend('webgpu', WEBGPU_OPTS);
    const limit = d.adapter!.limits.maxStorageBufferBindingSize;
    const x = tf.fill([Math.ceil(limit / 4) + 1024], 1);
    const y = tf.add(x, 1);
    await expect(y.data()).rejects.toBeInstanceOf(CorruptDataError);
    expect(webGpuDeviceErrors()[0]).toMatch(/maximum storage buffer binding size/);
    expect(describeBackend().deviceErrors?.length).toBeGreaterThan(0);
    tf.dispose([x, y]);
  });
});
