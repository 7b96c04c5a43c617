import * as tf from '@tensorflow/tfjs';
import { Rng } from '@tessera/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateSyntheticEmbeddings, runSyntheticAlignmentEval } from './synthetic-alignment.eval';
import { SyntheticVideoWorld } from './synthetic-videos';

describe('synthetic videos', () => {
  it('captions follow the known shifted alignment', () => {
    const world = new SyntheticVideoWorld({ pMissing: 0, pIrrelevant: 0, maxShift: 2 }, 1);
    const rng = new Rng(4);
    for (let k = 0; k < 20; k++) {
      const v = world.video(rng);
      const o = world.options;
      v.target.forEach((clip, j) => {
        const words = Array.from(v.tokens.subarray(j * o.maxWords, (j + 1) * o.maxWords));
        expect(words).toContain(world.topicWord(v.topic));
        if (j < v.shift) expect(clip).toBe(-1);
        else {
          expect(clip).toBe(j - v.shift);
          expect(words).toContain(world.conceptWord(v.concepts[clip]));
        }
      });
      expect(v.frames.every((x) => x >= 0 && x <= 1)).toBe(true);
    }
  });

  it('held-out videos show every concept exactly once', () => {
    const world = new SyntheticVideoWorld({ concepts: 20, clipsPerVideo: 4 }, 3);
    const held = world.heldOut(new Rng(2));
    expect(held).toHaveLength(5);
    expect(held.flatMap((v) => v.concepts).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, k) => k));
  });

  it('metrics: perfect embeddings give 100 % and median rank 1', () => {
    const world = new SyntheticVideoWorld({ clipsPerVideo: 4, concepts: 4, topics: 2 }, 2);
    const rng = new Rng(1);
    const videos = [world.video(rng, 0), world.video(rng, 1)];
    const dim = 8;
    const clips = new Float32Array(8 * dim);
    const caps = new Float32Array(8 * dim);
    videos.forEach((v, vi) => {
      for (let i = 0; i < 4; i++) clips[(vi * 4 + i) * dim + vi * 4 + i] = 1;
      v.target.forEach((c, j) => {
        if (c >= 0) caps[(vi * 4 + j) * dim + vi * 4 + c] = 1;
      });
    });
    const m = evaluateSyntheticEmbeddings(videos, clips, caps, dim);
    expect(m).toMatchObject({ alignmentAccuracy: 100, r1: 100, r5: 100, r10: 100, medianRank: 1 });
    expect(m.trueCellRecall).toBeGreaterThan(50);
    expect(m.trueCellRecall).toBeLessThanOrEqual(100);
  });
});

describe('runSyntheticAlignmentEval (tiny)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('returns a row per method with per-seed metrics and a printable table', async () => {
    const table = await runSyntheticAlignmentEval({
      methods: ['random', 's2dtw'],
      seeds: [1, 2],
      steps: 3,
      batchSize: 3,
      jointDim: 8,
      hidden: 8,
      world: { clipsPerVideo: 4, concepts: 16, frames: 2 },
    });
    expect(table.rows.map((r) => r.method)).toEqual(['random', 's2dtw']);
    expect(table.rows[1].perSeed).toHaveLength(2);
    expect(table.galleryClips).toBe(16);
    expect(table.text).toMatch(/s2dtw/);
    for (const r of table.rows) expect(r.mean.medianRank).toBeGreaterThanOrEqual(1);
  });
});
