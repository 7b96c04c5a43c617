import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, Rng } from '@tessera/common';
import { ParamStore, loadCheckpoint, saveCheckpoint } from '@tessera/tensor';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VttwinsTextEncoder } from '../encoders/vttwins-text-encoder';
import { VttwinsVideoEncoder } from '../encoders/vttwins-video-encoder';
import { s2dtwContrastiveLoss } from '../losses/s2dtw-contrastive.loss';
import { PLAIN_SOFT_DTW_OPTIONS } from '../s2dtw/s2dtw-options';
import { SyntheticVideoWorld } from '../synthetic/synthetic-videos';
import { VttwinsConfig } from './vttwins-config';
import { TINY_WORLD_OPTIONS, tinyVttwinsEncoders } from './tiny-vttwins.testing';
import { type VttwinsCheckpoint, type VttwinsProgress, VttwinsTrainer } from './vttwins-trainer';

describe('VttwinsConfig', () => {
  it('fills documented defaults and lists every bad key', () => {
    const c = VttwinsConfig.create();
    expect(c.toJSON()).toMatchObject({
      loss: 's2dtw',
      gamma: 0.1,
      gammaLocal: 0.1,
      delta: 0.5,
      clipsPerVideo: 8,
      temporalAugmentation: false,
    });
    let err: unknown;
    try {
      VttwinsConfig.create({ gamma: -1, batchSize: 1, loss: 'x' as never });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/gamma.*batchSize|loss.*gamma.*batchSize/);
  });
});

describe('encoders', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('produce unit-norm embeddings of the joint dimension, Uint8 frames scaled like floats', async () => {
    const world = new SyntheticVideoWorld(TINY_WORLD_OPTIONS, 3);
    const { video, text } = tinyVttwinsEncoders(world);
    const v = world.video(new Rng(1));
    const a = video.encode(v.frames, 4);
    const bytes = Uint8Array.from(v.frames, (x) => Math.round(x * 255));
    const b = video.encode(bytes, 4);
    expect(a.shape).toEqual([4, 8]);
    const norms = tf.norm(a, 2, 1).dataSync();
    norms.forEach((x) => expect(x).toBeCloseTo(1, 5));
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    expect(diff).toBeLessThan(0.05);
    const t = text.encode(v.tokens, 4);
    expect(t.shape).toEqual([4, 8]);
    const before = tf.memory().numTensors;
    const plain = await text.embed(v.tokens, 4);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(plain)).toEqual(Array.from(t.dataSync()));
    expect((await video.embed(v.frames, 4)).length).toBe(32);
    expect(() => text.encode(new Int32Array([999, 0, 0, 0, 0, 0]), 1)).toThrow(InvalidInputError);
    expect(() => video.encode(new Float32Array(3), 1)).toThrow(/expected 1 clips/);
    tf.dispose([a, b, t]);
    video.dispose();
    text.dispose();
  });

  it('patchify keeps each patch contiguous and centres pixels', () => {
    const enc = new VttwinsVideoEncoder({
      frames: 1,
      height: 2,
      width: 4,
      channels: 1,
      patch: 2,
      hidden: 4,
      jointDim: 4,
    });
    const frame = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(enc.patchify(frame, 1))).toEqual([0, 1, 4, 5, 2, 3, 6, 7].map((x) => x - 0.5));
    enc.dispose();
  });

  it('masking padding changes the max-pool only where padding would win', () => {
    const on = new VttwinsTextEncoder({
      vocabSize: 5,
      maxWords: 3,
      wordDim: 4,
      hidden: 4,
      jointDim: 3,
      maskPaddingInMaxPool: true,
      seed: 4,
    });
    const off = new VttwinsTextEncoder({ vocabSize: 5, maxWords: 3, wordDim: 4, hidden: 4, jointDim: 3, seed: 4 });
    const full = Int32Array.from([1, 2, 3]);
    const x = on.encode(full, 1).dataSync();
    const y = off.encode(full, 1).dataSync();
    x.forEach((v, k) => expect(v).toBeCloseTo(y[k], 6));
    on.dispose();
    off.dispose();
  });
});

describe('VttwinsTrainer', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reduces the S2DTW loss on a fixed batch and reports progress and checkpoints', async () => {
    const world = new SyntheticVideoWorld(TINY_WORLD_OPTIONS, 5);
    const { video, text } = tinyVttwinsEncoders(world);
    const config = VttwinsConfig.create({
      clipsPerVideo: 4,
      batchSize: 4,
      steps: 25,
      learningRate: 1e-2,
      checkpointEvery: 10,
    });
    const progress: VttwinsProgress[] = [];
    const checkpoints: VttwinsCheckpoint[] = [];
    const trainer = new VttwinsTrainer(config, video, text, {
      onProgress: (p) => progress.push(p),
      onCheckpoint: (c) => void checkpoints.push(c),
    });
    const batch = world.batch(new Rng(2), 4);
    const before = await trainer.loss(batch);
    const losses = await trainer.train(() => batch);
    const after = await trainer.loss(batch);
    expect(after).toBeLessThan(before);
    expect(losses).toHaveLength(25);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 25 }, (_, k) => k + 1));
    expect(progress[24].etaMs).toBe(0);
    expect(checkpoints.map((c) => c.step)).toEqual([10, 20, 25]);
    expect(Object.keys(checkpoints[0].weights)).toContain('video.patchW');
    // A checkpoint restores the same embeddings in fresh encoders.
    const fresh = tinyVttwinsEncoders(world, { seed: 7 });
    fresh.video.weights.import(checkpoints[2].weights);
    fresh.text.weights.import(checkpoints[2].weights);
    const v1 = video.encode(world.video(new Rng(3)).frames, 4).dataSync();
    const v2 = fresh.video.encode(world.video(new Rng(3)).frames, 4).dataSync();
    v1.forEach((x, k) => expect(x).toBeCloseTo(v2[k], 6));
    trainer.dispose();
    [video, text, fresh.video, fresh.text].forEach((e) => e.dispose());
  });

  it('a shared ParamStore checkpoints both encoders with @tessera/tensor and restores identical embeddings', async () => {
    const world = new SyntheticVideoWorld(TINY_WORLD_OPTIONS, 8);
    const o = world.options;
    const make = (store: ParamStore, seed: number) => ({
      video: new VttwinsVideoEncoder(
        {
          frames: o.frames,
          height: o.height,
          width: o.width,
          channels: o.channels,
          patch: 4,
          hidden: 8,
          jointDim: 4,
          seed,
        },
        store,
      ),
      text: new VttwinsTextEncoder(
        { vocabSize: world.vocabSize, maxWords: o.maxWords, wordDim: 8, hidden: 8, jointDim: 4, seed: seed + 1 },
        store,
      ),
    });
    const storeA = new ParamStore();
    const a = make(storeA, 1);
    const trainer = new VttwinsTrainer(
      VttwinsConfig.create({ clipsPerVideo: 4, batchSize: 3, steps: 2 }),
      a.video,
      a.text,
    );
    let saved: VttwinsCheckpoint | undefined;
    const dir = join(mkdtempSync(join(tmpdir(), 'vttwins-')), 'ckpt');
    const trained = new VttwinsTrainer(trainer.config, a.video, a.text, {
      onCheckpoint: async (c) => {
        saved = c;
        expect(c.stores).toEqual([storeA]);
        await saveCheckpoint(dir, c.stores[0], { optimizer: c.optimizer, meta: { step: c.step } });
      },
    });
    await trained.train(() => world.batch(new Rng(4), 3));
    expect(saved?.step).toBe(2);
    const storeB = new ParamStore();
    const b = make(storeB, 9);
    await loadCheckpoint(dir, storeB);
    const clip = world.video(new Rng(5));
    const x = a.video.encode(clip.frames, 4).dataSync();
    const y = b.video.encode(clip.frames, 4).dataSync();
    x.forEach((v, k) => expect(v).toBeCloseTo(y[k], 6));
    const tx = a.text.encode(clip.tokens, 4).dataSync();
    const ty = b.text.encode(clip.tokens, 4).dataSync();
    tx.forEach((v, k) => expect(v).toBeCloseTo(ty[k], 6));
    trainer.dispose();
    trained.dispose();
    storeA.dispose();
    storeB.dispose();
  });

  it('a training step leaks no tensors, for every loss and with temporal augmentation', async () => {
    const world = new SyntheticVideoWorld(TINY_WORLD_OPTIONS, 6);
    for (const extra of [
      { loss: 's2dtw' as const },
      { loss: 'soft-dtw' as const },
      { loss: 'mil-nce' as const },
      { temporalAugmentation: true },
    ]) {
      const { video, text } = tinyVttwinsEncoders(world);
      const trainer = new VttwinsTrainer(
        VttwinsConfig.create({ clipsPerVideo: 4, batchSize: 3, ...extra }),
        video,
        text,
      );
      const batch = world.batch(new Rng(1), 3);
      await trainer.stepAsync(batch); // optimiser slots are created on the first step
      const before = tf.memory().numTensors;
      for (let k = 0; k < 3; k++) expect(Number.isFinite(await trainer.stepAsync(batch))).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
      trainer.dispose();
      video.dispose();
      text.dispose();
    }
  });

  it('stepAsync (S2DTW on the host between device passes) matches Adam taped through the customGrad S2DTW op', async () => {
    const world = new SyntheticVideoWorld(TINY_WORLD_OPTIONS, 9);
    for (const extra of [
      { loss: 's2dtw' as const, gamma: 0.1, gammaLocal: 0.05, delta: 0.5 },
      { loss: 'soft-dtw' as const, gamma: 0.1 },
    ]) {
      const config = VttwinsConfig.create({ clipsPerVideo: 4, batchSize: 3, learningRate: 1e-2, ...extra });
      const a = tinyVttwinsEncoders(world, { seed: 3 });
      const b = tinyVttwinsEncoders(world, { seed: 3 });
      // The reference: the synchronous customGrad op (cpu/wasm only), under a plain optimizer.minimize.
      const opt = tf.train.adam(1e-2);
      const options =
        extra.loss === 's2dtw'
          ? { gamma: extra.gamma, gammaLocal: extra.gammaLocal, delta: extra.delta }
          : { ...PLAIN_SOFT_DTW_OPTIONS, gamma: extra.gamma };
      const vars = [...a.video.variables, ...a.text.variables];
      const trainer = new VttwinsTrainer(config, b.video, b.text);
      const batch = world.batch(new Rng(4), 3);
      const [n, count, d] = [4, 12, a.video.config.jointDim];
      for (let k = 0; k < 3; k++) {
        const before = k === 2 ? tf.memory().numTensors : 0;
        const cost = opt.minimize(
          () =>
            s2dtwContrastiveLoss(
              tf.reshape(a.video.encode(batch.frames, count), [3, n, d]),
              tf.reshape(a.text.encode(batch.tokens, count), [3, n, d]),
              options,
            ),
          true,
          vars,
        )!;
        const la = (await cost.data())[0];
        cost.dispose();
        const lb = await trainer.stepAsync(batch);
        expect(lb).toBeCloseTo(la, 5);
        if (k === 2) expect(tf.memory().numTensors).toBe(before);
      }
      const wa = await a.video.encode(world.video(new Rng(5)).frames, 4).data();
      const wb = await b.video.encode(world.video(new Rng(5)).frames, 4).data();
      wa.forEach((x, i) => expect(wb[i]).toBeCloseTo(x, 4));
      expect(trainer.steps).toBe(3);
      opt.dispose();
      trainer.dispose();
      [a.video, a.text, b.video, b.text].forEach((e) => e.dispose());
    }
  });

  it('loss() is the loss the next stepAsync reports (same TDA permutations), for every loss', async () => {
    const world = new SyntheticVideoWorld(TINY_WORLD_OPTIONS, 10);
    for (const extra of [
      { loss: 's2dtw' as const, temporalAugmentation: true },
      { loss: 'soft-dtw' as const },
      { loss: 'mil-nce' as const, temporalAugmentation: true },
    ]) {
      const { video, text } = tinyVttwinsEncoders(world, { seed: 4 });
      const trainer = new VttwinsTrainer(
        VttwinsConfig.create({ clipsPerVideo: 4, batchSize: 3, learningRate: 1e-2, ...extra }),
        video,
        text,
      );
      const batch = world.batch(new Rng(6), 3);
      for (let k = 0; k < 2; k++) {
        const predicted = await trainer.loss(batch);
        expect(await trainer.stepAsync(batch)).toBeCloseTo(predicted, 5);
      }
      trainer.dispose();
      video.dispose();
      text.dispose();
    }
  });
});
