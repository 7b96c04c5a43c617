import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '@tessera/common';
import { initTensorBackend } from '@tessera/tensor';
import { needsSharedData } from '@tessera/testing';
import { chanceLevels, describeMomentEvaluation, evaluateVttwinsRealVideo } from '../../apps/platform/src';

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
    expect(report.table).toMatch(/chance \(uniform ranking\)/);
    expect(report.table).toMatch(/fit check/);
  });

  it('skips with a reason when no subtitled video is staged', async () => {
    const report = await evaluateVttwinsRealVideo({ dataRoot: join(projectRoot(), 'no-such-folder') });
    expect(report).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/no Popeye clips/) });
  });

  it('chance levels of a uniform ranking', () => {
    expect(chanceLevels(12)).toEqual({ 'R@1': 1 / 12, 'R@5': 5 / 12, 'R@10': 10 / 12, medianRank: 6.5 });
    expect(chanceLevels(4)).toEqual({ 'R@1': 0.25, 'R@5': 1, 'R@10': 1, medianRank: 2.5 });
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
