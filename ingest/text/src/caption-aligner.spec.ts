import { describe, expect, it } from 'vitest';
import { alignCaptionsToClips } from './caption-aligner';

const clips = [
  { index: 0, startS: 0, endS: 5 },
  { index: 1, startS: 5, endS: 10 },
  { index: 2, startS: 10, endS: 15 },
];

describe('alignCaptionsToClips', () => {
  it('gives each clip the cues it holds, in time order', () => {
    const { pairs, notes } = alignCaptionsToClips(clips, [
      { startS: 6, endS: 7, text: 'second' },
      { startS: 1, endS: 2, text: 'first' },
      { startS: 3, endS: 4, text: 'also first' },
    ]);
    expect(pairs.map((p) => p.caption)).toEqual(['first also first', 'second', '']);
    expect(pairs[0].cueIndices).toEqual([1, 2]);
    expect(notes).toEqual([]);
  });

  it('a cue straddling a boundary goes where most of it is; a long cue reaches every clip it covers', () => {
    const { pairs } = alignCaptionsToClips(clips, [
      { startS: 4, endS: 7, text: 'straddle' }, // 1 s in clip 0, 2 s in clip 1
      { startS: 9.5, endS: 15, text: 'long' }, // covers all of clip 2, 10% of clip 1
    ]);
    expect(pairs.map((p) => p.caption)).toEqual(['', 'straddle', 'long']);
    const spread = alignCaptionsToClips(clips, [{ startS: 0, endS: 15, text: 'whole video' }]);
    expect(spread.pairs.map((p) => p.caption)).toEqual(['whole video', 'whole video', 'whole video']);
  });

  it('a cue split thinly across clips still lands in the one with the largest share', () => {
    const short = [
      { startS: 0, endS: 1 },
      { startS: 1, endS: 2 },
      { startS: 2, endS: 3 },
      { startS: 3, endS: 4 },
    ];
    const { pairs } = alignCaptionsToClips(short, [{ startS: 0.7, endS: 3.1, text: 'x' }], { minClipFraction: 1.01 });
    expect(pairs.map((p) => p.caption)).toEqual(['', 'x', '', '']);
  });

  it('clips or drops cues outside the media and says why', () => {
    const { pairs, notes } = alignCaptionsToClips(
      clips,
      [
        { startS: 14, endS: 20, text: 'runs past the end' },
        { startS: 30, endS: 31, text: 'after the end' },
        { startS: 2, endS: 1, text: 'backwards' },
        { startS: 1, endS: 2, text: '   ' },
      ],
      { durationS: 15 },
    );
    expect(pairs[2].caption).toBe('runs past the end');
    expect(notes).toEqual([
      { cueIndex: 0, action: 'clipped', reason: 'cue 14-20 s clipped to 14-15 s' },
      { cueIndex: 1, action: 'dropped', reason: 'cue starts at 30 s, after the media ends (15 s)' },
      { cueIndex: 2, action: 'dropped', reason: 'cue ends (1 s) before it starts (2 s)' },
      { cueIndex: 3, action: 'dropped', reason: 'cue has no text' },
    ]);
  });

  it('places zero-length word markers by their instant and folds repeated lines', () => {
    const { pairs } = alignCaptionsToClips(clips, [
      { startS: 5, endS: 5, text: 'tick' },
      { startS: 6, endS: 7, text: 'la' },
      { startS: 7, endS: 8, text: 'la' },
    ]);
    expect(pairs[1].caption).toBe('tick la');
  });
});
