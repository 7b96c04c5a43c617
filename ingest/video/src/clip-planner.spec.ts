import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@tessera/common';
import { planClips } from './clip-planner';

describe('planClips', () => {
  it('fixed windows cover the media exactly', () => {
    const { clips } = planClips(25, { mode: 'fixed', lengthS: 10 });
    expect(clips.map((c) => [c.startS, c.endS])).toEqual([
      [0, 10],
      [10, 20],
      [20, 25],
    ]);
    expect(planClips(21, { mode: 'fixed', lengthS: 10 }).clips.map((c) => c.endS)).toEqual([10, 21]);
  });

  it('cue windows join close cues up to the maximum length and widen short ones', () => {
    const cues = [
      { startS: 1, endS: 2 },
      { startS: 2.2, endS: 4 },
      { startS: 10, endS: 10.4 },
      { startS: 11, endS: 19 },
      { startS: 19.1, endS: 22 },
    ];
    const { clips, notes } = planClips(30, { mode: 'cues', cues, maxLengthS: 9 });
    expect(clips.map((c) => [c.startS, c.endS, c.cueIndices])).toEqual([
      [1, 4, [0, 1]],
      [9.7, 10.7, [2]],
      [11, 19, [3]],
      [19.1, 22, [4]],
    ]);
    expect(notes).toEqual([]);
  });

  it('clips and drops cues outside the media, with reasons', () => {
    const { clips, notes } = planClips(10, {
      mode: 'cues',
      cues: [
        { startS: 8, endS: 12 },
        { startS: 15, endS: 16 },
        { startS: 3, endS: 3 },
      ],
    });
    expect(clips.map((c) => [c.startS, c.endS])).toEqual([[8, 10]]);
    expect(notes.map((n) => [n.cueIndex, n.action])).toEqual([
      [0, 'clipped'],
      [1, 'dropped'],
      [2, 'dropped'],
    ]);
  });

  it('refuses nonsense input', () => {
    expect(() => planClips(0, { mode: 'fixed', lengthS: 5 })).toThrow(InvalidInputError);
    expect(() => planClips(10, { mode: 'fixed', lengthS: 0 })).toThrow(/clip length must be positive/);
  });
});
