import { InvalidInputError } from '@tessera/common';
import type { ClipBoundary, ClipPlan, SegmentOptions } from './media-probe.types';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Clip boundaries for a video of `durationS` seconds: fixed-length windows, or
 * windows built from subtitle/transcript cues. Pure, so it is tested without ffmpeg.
 */
export function planClips(durationS: number, options: SegmentOptions): ClipPlan {
  if (!Number.isFinite(durationS) || durationS <= 0) {
    throw new InvalidInputError(`cannot segment media of duration ${durationS} s`, { durationS });
  }
  return options.mode === 'fixed' ? planFixed(durationS, options) : planFromCues(durationS, options);
}

function planFixed(durationS: number, o: Extract<SegmentOptions, { mode: 'fixed' }>): ClipPlan {
  if (!(o.lengthS > 0)) throw new InvalidInputError(`clip length must be positive, got ${o.lengthS}`);
  const minLast = o.minLastS ?? o.lengthS / 4;
  const clips: ClipBoundary[] = [];
  for (let start = 0; start < durationS - 1e-6; start += o.lengthS) {
    clips.push({ index: clips.length, startS: round3(start), endS: round3(Math.min(durationS, start + o.lengthS)) });
  }
  const last = clips[clips.length - 1];
  if (clips.length > 1 && last.endS - last.startS < minLast) {
    clips.pop();
    clips[clips.length - 1].endS = last.endS;
  }
  return { clips, notes: [] };
}

function planFromCues(durationS: number, o: Extract<SegmentOptions, { mode: 'cues' }>): ClipPlan {
  const mergeGap = o.mergeGapS ?? 0.5;
  const maxLen = o.maxLengthS ?? 10;
  const minLen = o.minLengthS ?? 1;
  const notes: ClipPlan['notes'] = [];
  const usable: { i: number; s: number; e: number }[] = [];
  o.cues.forEach((c, i) => {
    if (!(c.endS > c.startS)) {
      notes.push({ cueIndex: i, action: 'dropped', reason: `cue ends (${c.endS} s) before it starts (${c.startS} s)` });
    } else if (c.startS >= durationS) {
      notes.push({
        cueIndex: i,
        action: 'dropped',
        reason: `cue starts at ${c.startS} s, after the media ends (${durationS} s)`,
      });
    } else if (c.endS <= 0) {
      notes.push({ cueIndex: i, action: 'dropped', reason: `cue ends at ${c.endS} s, before the media starts` });
    } else {
      const s = Math.max(0, c.startS);
      const e = Math.min(durationS, c.endS);
      if (s !== c.startS || e !== c.endS) {
        notes.push({
          cueIndex: i,
          action: 'clipped',
          reason: `cue ${c.startS}-${c.endS} s clipped to ${s}-${e} s (media is ${durationS} s)`,
        });
      }
      usable.push({ i, s, e });
    }
  });
  usable.sort((a, b) => a.s - b.s || a.i - b.i);

  const clips: ClipBoundary[] = [];
  let cur: { s: number; e: number; idx: number[] } | undefined;
  for (const c of usable) {
    if (cur && c.s - cur.e <= mergeGap && Math.max(cur.e, c.e) - cur.s <= maxLen) {
      cur.e = Math.max(cur.e, c.e);
      cur.idx.push(c.i);
    } else {
      if (cur) clips.push(toClip(cur, clips.length, durationS, minLen));
      cur = { s: c.s, e: c.e, idx: [c.i] };
    }
  }
  if (cur) clips.push(toClip(cur, clips.length, durationS, minLen));
  return { clips, notes };
}

function toClip(
  c: { s: number; e: number; idx: number[] },
  index: number,
  durationS: number,
  minLen: number,
): ClipBoundary {
  let { s, e } = c;
  if (e - s < minLen) {
    // Widen around the centre, then shift back inside the media.
    const mid = (s + e) / 2;
    s = mid - minLen / 2;
    e = mid + minLen / 2;
    if (s < 0) [s, e] = [0, Math.min(durationS, minLen)];
    if (e > durationS) [s, e] = [Math.max(0, durationS - minLen), durationS];
  }
  return { index, startS: round3(s), endS: round3(e), cueIndices: c.idx };
}
