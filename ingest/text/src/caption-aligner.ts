import { InvalidInputError } from '@tessera/common';

export interface ClipSpan {
  index?: number;
  startS: number;
  endS: number;
}

export interface TimedText {
  startS: number;
  endS: number;
  text: string;
}

export interface AlignCaptionsOptions {
  /** Media length: cues past it are clipped or dropped, with a note. */
  durationS?: number;
  /** A cue joins every clip holding at least this share of it (default 0.5). */
  minCueFraction?: number;
  /** ... or covering at least this share of the clip (default 0.5), so a long cue reaches each short clip. */
  minClipFraction?: number;
}

export interface ClipCaptionPair<C extends ClipSpan = ClipSpan> {
  clip: C;
  /** The clip's cue texts in time order, joined with spaces; empty when nothing is said. */
  caption: string;
  cueIndices: number[];
}

export interface CaptionAlignment<C extends ClipSpan = ClipSpan> {
  pairs: ClipCaptionPair<C>[];
  notes: { cueIndex: number; action: 'dropped' | 'clipped'; reason: string }[];
}

/**
 * Gives each clip the text of the cues that overlap it: the {clip, caption} sequence of one
 * video that VT-TWINS trains on. A cue shared by several clips goes to each where it passes a
 * threshold, else to the clip holding most of it, so no cue inside the media is lost.
 */
export function alignCaptionsToClips<C extends ClipSpan>(
  clips: C[],
  cues: TimedText[],
  options: AlignCaptionsOptions = {},
): CaptionAlignment<C> {
  const minCue = options.minCueFraction ?? 0.5;
  const minClip = options.minClipFraction ?? 0.5;
  const duration = options.durationS ?? Number.POSITIVE_INFINITY;
  clips.forEach((c, i) => {
    if (!(c.endS > c.startS) || c.startS < 0)
      throw new InvalidInputError(`clip ${c.index ?? i} has an empty or negative span ${c.startS}-${c.endS}`);
  });
  const notes: CaptionAlignment<C>['notes'] = [];
  const assigned: number[][] = clips.map(() => []);

  cues.forEach((cue, ci) => {
    if (!(cue.endS >= cue.startS)) {
      notes.push({
        cueIndex: ci,
        action: 'dropped',
        reason: `cue ends (${cue.endS} s) before it starts (${cue.startS} s)`,
      });
      return;
    }
    if (cue.startS >= duration) {
      notes.push({
        cueIndex: ci,
        action: 'dropped',
        reason: `cue starts at ${cue.startS} s, after the media ends (${duration} s)`,
      });
      return;
    }
    if (cue.text.trim() === '') {
      notes.push({ cueIndex: ci, action: 'dropped', reason: 'cue has no text' });
      return;
    }
    const s = Math.max(0, cue.startS);
    const e = Math.min(duration, cue.endS);
    if (s !== cue.startS || e !== cue.endS) {
      notes.push({ cueIndex: ci, action: 'clipped', reason: `cue ${cue.startS}-${cue.endS} s clipped to ${s}-${e} s` });
    }
    const len = e - s;
    let best = -1;
    let bestOverlap = 0;
    let placed = false;
    clips.forEach((clip, k) => {
      // A zero-length cue (a word marker) counts as fully inside the clip holding its instant.
      const overlap =
        len === 0
          ? s >= clip.startS && s < clip.endS
            ? 1
            : 0
          : Math.max(0, Math.min(e, clip.endS) - Math.max(s, clip.startS));
      if (overlap <= 0) return;
      const cueShare = len === 0 ? 1 : overlap / len;
      const clipShare = overlap / (clip.endS - clip.startS);
      if (cueShare >= minCue || clipShare >= minClip) {
        assigned[k].push(ci);
        placed = true;
      }
      if (overlap > bestOverlap) [best, bestOverlap] = [k, overlap];
    });
    if (!placed && best >= 0) assigned[best].push(ci);
    if (!placed && best < 0)
      notes.push({ cueIndex: ci, action: 'dropped', reason: `cue ${s}-${e} s overlaps no clip` });
  });

  const pairs = clips.map((clip, k) => {
    const idx = assigned[k].sort((a, b) => cues[a].startS - cues[b].startS || a - b);
    const texts: string[] = [];
    for (const i of idx) {
      const t = cues[i].text.trim();
      if (texts[texts.length - 1] !== t) texts.push(t); // a repeated cue (karaoke-style) once
    }
    return { clip, caption: texts.join(' '), cueIndices: idx };
  });
  return { pairs, notes };
}
