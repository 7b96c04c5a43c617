import * as tf from '@tensorflow/tfjs';
import { ConflictError, NotFoundError, Rng } from '@tessera/common';
import { ParamStore } from '@tessera/tensor';
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VttwinsTextEncoder } from '../encoders/vttwins-text-encoder';
import { VttwinsVideoEncoder } from '../encoders/vttwins-video-encoder';
import { SyntheticVideoWorld } from '../synthetic/synthetic-videos';
import { VttwinsConfig, type VttwinsConfigValues } from './vttwins-config';
import { clearVttwinsResumeState, hasVttwinsResumeState, runVttwinsTraining } from './vttwins-training.run';

const world = new SyntheticVideoWorld(
  { clipsPerVideo: 4, concepts: 6, topics: 4, fillerWords: 5, frames: 2, maxShift: 1 },
  11,
);

function build(seed = 1) {
  const o = world.options;
  const store = new ParamStore();
  const video = new VttwinsVideoEncoder(
    {
      frames: o.frames,
      height: o.height,
      width: o.width,
      channels: o.channels,
      patch: 4,
      hidden: 8,
      jointDim: 8,
      seed,
    },
    store,
  );
  const text = new VttwinsTextEncoder(
    { vocabSize: world.vocabSize, maxWords: o.maxWords, wordDim: 8, hidden: 8, jointDim: 8, seed: seed + 1 },
    store,
  );
  return { store, video, text };
}

// a batch depends on the step number only, as the run requires
const nextBatch = (step: number) => world.batch(new Rng(1000 + step), 3);

const weightsOf = (store: ParamStore) =>
  Object.fromEntries(store.entries().map(([name, v]) => [name, Array.from(v.dataSync())]));

describe('runVttwinsTraining (resumable)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const extra of [{ loss: 's2dtw' as const }, { loss: 'mil-nce' as const, temporalAugmentation: true }]) {
    it(`an interrupted run resumed from its checkpoint ends with the same weights and losses (${JSON.stringify(extra)})`, async () => {
      const values: Partial<VttwinsConfigValues> = {
        clipsPerVideo: 4,
        batchSize: 3,
        steps: 12,
        learningRate: 1e-2,
        checkpointEvery: 4,
        seed: 3,
        ...extra,
      };
      const config = VttwinsConfig.create(values);

      const straight = build();
      const full = await runVttwinsTraining({ config, ...straight, nextBatch });
      expect(full).toMatchObject({ steps: 12, finished: true, resumedFrom: 0 });

      // "crash" after step 6: the last interval checkpoint is step 4, but the stop itself is saved too
      const dir = join(mkdtempSync(join(tmpdir(), 'vttwins-resume-')), 'run.resume');
      const first = build();
      const part = await runVttwinsTraining({ config, ...first, nextBatch, checkpointDir: dir, stopAfter: 6 });
      expect(part).toMatchObject({ steps: 6, finished: false });
      expect(part.losses).toEqual(full.losses.slice(0, 6));
      first.store.dispose();

      // a new process: fresh encoders with other initial weights, state restored from disk
      const second = build(42);
      const rest = await runVttwinsTraining({ config, ...second, nextBatch, checkpointDir: dir, resume: true });
      expect(rest).toMatchObject({ steps: 12, finished: true, resumedFrom: 6 });
      expect(rest.losses).toEqual(full.losses);
      expect(weightsOf(second.store)).toEqual(weightsOf(straight.store));

      expect(await hasVttwinsResumeState(dir)).toBe(true);
      await clearVttwinsResumeState(dir);
      expect(await hasVttwinsResumeState(dir)).toBe(false);
      straight.store.dispose();
      second.store.dispose();
    });
  }

  it('refuses to resume with nothing saved, another config or other data, leaving the state as it was', async () => {
    const config = VttwinsConfig.create({ clipsPerVideo: 4, batchSize: 3, steps: 4, seed: 1 });
    const root = mkdtempSync(join(tmpdir(), 'vttwins-resume-'));
    const m = build();
    await expect(
      runVttwinsTraining({ config, ...m, nextBatch, checkpointDir: join(root, 'none'), resume: true }),
    ).rejects.toBeInstanceOf(NotFoundError);

    const dir = join(root, 'run.resume');
    await runVttwinsTraining({ config, ...m, nextBatch, checkpointDir: dir, stopAfter: 2, fingerprint: { data: 'a' } });
    const files = (await readdir(dir)).sort();
    const other = VttwinsConfig.create({ ...config.toJSON(), delta: 0.3 });
    await expect(
      runVttwinsTraining({
        config: other,
        ...m,
        nextBatch,
        checkpointDir: dir,
        resume: true,
        fingerprint: { data: 'a' },
      }),
    ).rejects.toThrow(ConflictError);
    await expect(
      runVttwinsTraining({ config, ...m, nextBatch, checkpointDir: dir, resume: true, fingerprint: { data: 'b' } }),
    ).rejects.toThrow(/training data, tokenizer or encoders changed/);
    // more steps than first planned is allowed: only the step budget differs
    const longer = VttwinsConfig.create({ ...config.toJSON(), steps: 5 });
    const done = await runVttwinsTraining({
      config: longer,
      ...m,
      nextBatch,
      checkpointDir: dir,
      resume: true,
      fingerprint: { data: 'a' },
    });
    expect({ files, steps: done.steps, resumedFrom: done.resumedFrom }).toEqual({
      files: ['manifest.json', 'meta.json', 'weights.bin'],
      steps: 5,
      resumedFrom: 2,
    });
    m.store.dispose();
  });
});
