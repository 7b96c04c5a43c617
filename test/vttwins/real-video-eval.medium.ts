import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '@tessera/common';
import { initTensorBackend } from '@tessera/tensor';
import { needsSharedData } from '@tessera/testing';
import {
  buildVttwinsTrainingSet,
  chanceBand,
  chanceLevels,
  describeMomentEvaluation,
  evaluateVttwins,
  evaluateVttwinsRealVideo,
  VTTWINS_FRAME,
} from '../../apps/platform/src';

// The leave-one-video-out protocol end to end on the bundled Popeye clips, with a token training budget.
describe('VT-TWINS held-out real-video evaluation', () => {
  beforeAll(async () => {
    await initTensorBackend('wasm');
  });

  it('ranks every clip of each held-out video for each of its captions, beside chance', async () => {
    const report = await evaluateVttwinsRealVideo({
      dataRoot: join(projectRoot(), 'test', 'fixtures'),
      seeds: [1],
      methods: ['random', 's2dtw'],
      steps: 3,
      withMediaElement: false,
    });
    expect(report.status).toBe('ran');
    expect(report.folds!.map((f) => f.heldOut)).toEqual(['popeye-p2', 'popeye-p3', 'popeye-p4']);
    // one clip per subtitle cue (the SRT files hold 16, 15 and 11 cues), each cue a query
    expect(report.folds!.map((f) => [f.candidates, f.queries])).toEqual([
      [16, 16],
      [15, 15],
      [11, 11],
    ]);
    for (const f of report.folds!) {
      expect(f.trainedOn).not.toContain(f.heldOut);
      expect(f.candidates).toBeGreaterThan(5);
      expect(f.queries).toBeGreaterThan(0);
      expect(f.queries).toBeLessThanOrEqual(f.candidates);
      expect(f.chance).toEqual(chanceLevels(f.candidates));
      for (const runs of Object.values(f.runs)) {
        expect(runs).toHaveLength(1);
        expect(runs[0].queries).toBe(f.queries);
        expect(runs[0].medianRank).toBeGreaterThanOrEqual(1);
        expect(runs[0].medianRank).toBeLessThanOrEqual(f.candidates);
      }
    }
    for (const f of report.folds!) expect(f.seenRuns.s2dtw[0].queries).toBeGreaterThan(f.queries);
    expect(Object.keys(report.seenSummary!)).toEqual(['random', 's2dtw']);
    expect(Object.keys(report.summary!)).toEqual(['random', 's2dtw']);
    for (const f of report.folds!) expect(f.durationCue.queries).toBe(f.queries);
    const band = report.chanceBand95!;
    expect(band['R@1'][0]).toBeLessThanOrEqual(report.chance!['R@1']);
    expect(band['R@1'][1]).toBeGreaterThanOrEqual(report.chance!['R@1']);
    expect(report.table).toMatch(/chance \(uniform ranking\)/);
    expect(report.table).toMatch(/central 95 %/);
    expect(report.table).toMatch(/fit check/);
  });

  it('skips with a reason when no subtitled video is staged', async () => {
    const report = await evaluateVttwinsRealVideo({ dataRoot: join(projectRoot(), 'no-such-folder') });
    expect(report).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/no Popeye clips/) });
  });

  it('refuses unknown parts and methods before running anything', async () => {
    await expect(evaluateVttwins({ parts: ['nope' as never] })).rejects.toThrow(/unknown part nope/);
    await expect(evaluateVttwins({ parts: ['real'], methods: ['clip'] })).rejects.toThrow(/unknown method clip/);
  });

  it('chance levels of a uniform ranking', () => {
    expect(chanceLevels(12)).toEqual({ 'R@1': 1 / 12, 'R@5': 5 / 12, 'R@10': 10 / 12, medianRank: 6.5 });
    expect(chanceLevels(4)).toEqual({ 'R@1': 0.25, 'R@5': 1, 'R@10': 1, medianRank: 2.5 });
  });

  it('frame augmentation flips and recolours training frames, the same way for the same step', async () => {
    const size = VTTWINS_FRAME.frames * VTTWINS_FRAME.height * VTTWINS_FRAME.width * VTTWINS_FRAME.channels;
    const clip = (k: number) => ({
      frames: Uint8Array.from({ length: size }, (_, i) => (i * 7 + k * 31) % 200),
      caption: `clip ${k}`,
    });
    const videos = [0, 1].map((v) => ({ id: `v${v}`, clips: [0, 1].map((k) => clip(2 * v + k)) }));
    const base = { version: 'aug-test', clipsPerVideo: 2, batchSize: 2, steps: 0, seed: 3 };
    const plain = await buildVttwinsTrainingSet(videos, base);
    const augmented = await buildVttwinsTrainingSet(videos, { ...base, frameAugmentation: true });
    try {
      const a = augmented.nextBatch(5);
      expect(a.frames).toEqual(augmented.nextBatch(5).frames);
      expect(a.tokens).toEqual(plain.nextBatch(5).tokens);
      expect(a.frames.length).toBe(plain.nextBatch(5).frames.length);
      expect(a.frames).not.toEqual(plain.nextBatch(5).frames);
    } finally {
      plain.model.dispose();
      augmented.model.dispose();
    }
  });

  it('the chance band holds chance, narrows with more seeds, and is a point for a pool of one', () => {
    const pools = [{ candidates: 10, queries: 20 }];
    const one = chanceBand(pools, 1);
    const five = chanceBand(pools, 5);
    for (const b of [one, five]) {
      expect(b['R@1'][0]).toBeLessThan(0.1);
      expect(b['R@1'][1]).toBeGreaterThan(0.1);
      expect(b.medianRank[0]).toBeLessThan(5.5);
      expect(b.medianRank[1]).toBeGreaterThan(5.5);
    }
    expect(five['R@1'][1] - five['R@1'][0]).toBeLessThan(one['R@1'][1] - one['R@1'][0]);
    expect(chanceBand([{ candidates: 1, queries: 3 }], 2)).toEqual({
      'R@1': [1, 1],
      'R@5': [1, 1],
      medianRank: [1, 1],
    });
  });
});

const annotations = needsSharedData('video', 'annotations');
describe.skipIf(annotations.skip)(`QVHighlights/DiDeMo moment sets${annotations.reason}`, () => {
  it('says the moment evaluation is skipped because no annotated video is staged', async () => {
    const report = await describeMomentEvaluation(join(annotations.path, '..', '..'));
    expect(report.status).toBe('skipped');
    expect(report.sets.map((s) => [s.name, s.queries, s.videos, s.stagedVideos])).toEqual([
      ['qvhighlights-val', 1550, 1519, 0],
      ['didemo-val', 4180, 1094, 0],
    ]);
    expect(report.reason).toMatch(/none of the videos is staged \(YouTube clips/);
  });
});

describe('moment retrieval on staged videos', () => {
  beforeAll(async () => {
    await initTensorBackend('wasm');
  });

  it('runs as soon as an annotated video is staged: R1@IoU over its queries, unstaged ones counted', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tessera-moments-'));
    const qv = join(root, 'video', 'annotations', 'qvhighlights');
    mkdirSync(join(qv, 'videos'), { recursive: true });
    // a 4-s video cut into two 2-s clips: every candidate window ([0,2], [2,4], [0,4]) has IoU ≥ 0.5 with [0,4]
    execFileSync(
      'ffmpeg',
      ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=duration=4:size=64x48:rate=5'].concat([
        '-pix_fmt',
        'yuv420p',
        join(qv, 'videos', 'abc_0_4.mp4'),
      ]),
    );
    const rows = [
      { qid: 1, query: 'a moving test pattern', duration: 4, vid: 'abc_0_4', relevant_windows: [[0, 4]] },
      { qid: 2, query: 'numbers on a screen', duration: 4, vid: 'abc_0_4', relevant_windows: [[0, 4]] },
      { qid: 3, query: 'a video nobody staged', duration: 10, vid: 'missing_0_10', relevant_windows: [[2, 6]] },
    ];
    writeFileSync(join(qv, 'highlight_val_release.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));

    const before = await describeMomentEvaluation(root);
    expect(before.sets[0]).toMatchObject({ status: 'ready', queries: 3, videos: 2, stagedVideos: 1 });

    const size = VTTWINS_FRAME.frames * VTTWINS_FRAME.height * VTTWINS_FRAME.width * VTTWINS_FRAME.channels;
    const clip = (caption: string, fill: number) => ({ frames: new Uint8Array(size).fill(fill), caption });
    const { model } = await buildVttwinsTrainingSet(
      [
        { id: 'a', clips: [clip('a moving pattern', 10), clip('numbers count', 90)] },
        { id: 'b', clips: [clip('a screen of colour', 200), clip('test pattern again', 40)] },
      ],
      { version: 'moments-test', clipsPerVideo: 2, batchSize: 2, steps: 0, seed: 1 },
    );
    try {
      const report = await describeMomentEvaluation(root, { model });
      expect(report.status).toBe('ran');
      expect(report.sets[0].result).toEqual({
        'R1@0.5': 1,
        'R1@0.7': expect.any(Number),
        mIoU: expect.any(Number),
        queries: 2,
        videos: 1,
        skippedQueries: 1,
        failed: [],
      });
      expect(report.sets[0].result!.mIoU).toBeGreaterThanOrEqual(0.5);
    } finally {
      model.dispose();
    }
  });
});
