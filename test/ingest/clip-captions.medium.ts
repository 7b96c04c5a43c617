import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsSharedData } from '@tessera/testing';
import {
  alignCaptionsToClips,
  decodeSubtitleBytes,
  parseSubtitles,
  parseTranscript,
  transcriptToCues,
} from '@tessera/ingest/text';
import { SubwordTokenizer } from '@tessera/text';
import { FfmpegMediaRepository } from '@tessera/ingest/video';

const FIX = resolve(__dirname, '../fixtures/video');
const physics = needsSharedData('video/narration/physicsworks');

/** Video -> clips -> {clip, caption} sequences, the input VT-TWINS trains on. */
describe('clip/caption sequences from real media', () => {
  const media = new FfmpegMediaRepository({ timeoutMs: 60_000 });

  it('Popeye: clips cut at subtitle cues, each clip captioned by its own cues', async () => {
    const path = resolve(FIX, 'popeye/popeye-p2.mkv');
    const { cues } = parseSubtitles(readFileSync(resolve(FIX, 'popeye/popeye-p2.eng.srt'), 'utf8'), {
      source: 'popeye-p2.eng.srt',
    });
    const plan = await media.segment(path, { mode: 'cues', cues, maxLengthS: 8 });
    const videoEnd = (await media.probe(path)).videoStreams[0].durationS!;
    // The last cue (to 60.7 s) runs past the picture (60.06 s): clipped, and said so.
    const last = cues.length - 1;
    expect(plan.notes).toEqual([{ cueIndex: last, action: 'clipped', reason: expect.stringContaining('clipped to') }]);
    const { pairs, notes } = alignCaptionsToClips(plan.clips, cues, { durationS: videoEnd });
    expect(notes.map((n) => [n.cueIndex, n.action])).toEqual([[last, 'clipped']]);
    expect(plan.clips[plan.clips.length - 1].endS).toBeCloseTo(60.06, 2);
    expect(pairs.length).toBeGreaterThan(3);
    expect(pairs.every((p) => p.caption.length > 0)).toBe(true);
    // Every cue appears in exactly the clip built from it.
    for (const p of pairs) expect(p.cueIndices).toEqual(p.clip.cueIndices);
    expect(pairs[0].caption).toBe('[laughing]');
  });

  it('MediaElement: fixed 10 s clips; the last cue runs past the video and is clipped', async () => {
    const path = resolve(FIX, 'mediaelement/echo-hereweare.webm');
    const probe = await media.probe(path);
    const { cues } = parseSubtitles(readFileSync(resolve(FIX, 'mediaelement/mediaelement.srt'), 'utf8'));
    const plan = await media.segment(path, { mode: 'fixed', lengthS: 10 });
    const { pairs, notes } = alignCaptionsToClips(plan.clips, cues, { durationS: probe.durationS });
    expect(pairs).toHaveLength(5);
    expect(notes).toEqual([{ cueIndex: 14, action: 'clipped', reason: 'cue 42-45 s clipped to 42-44.652 s' }]);
    expect(pairs[0].caption.startsWith('HTML5 <video> and <audio> was supposed to be awesome')).toBe(true);
    expect(pairs[4].caption).toContain('Hope you like it.');
    // 15 cues, none lost: cues on a boundary go to one clip only.
    expect(pairs.reduce((n, p) => n + p.cueIndices.length, 0)).toBe(15);
  });

  it('all three Popeye clips: {frames, caption ids} sequences ready for VT-TWINS', async () => {
    const sequences = [];
    for (const n of ['p2', 'p3', 'p4']) {
      const path = resolve(FIX, `popeye/popeye-${n}.mkv`);
      const { text } = decodeSubtitleBytes(readFileSync(resolve(FIX, `popeye/popeye-${n}.eng.srt`)));
      const { cues } = parseSubtitles(text, { source: `popeye-${n}.eng.srt` });
      const plan = await media.segment(path, { mode: 'cues', cues, maxLengthS: 8 });
      const frames = await media.sampleClips(path, plan.clips, { fps: 2, width: 32, height: 32, maxFramesPerClip: 4 });
      const { pairs } = alignCaptionsToClips(plan.clips, cues);
      sequences.push({ video: n, clips: pairs.map((p, i) => ({ ...p, frames: frames.clips[i].frames })) });
    }
    const captions = sequences.flatMap((s) => s.clips.map((c) => c.caption));
    const tok = await SubwordTokenizer.train(captions, { vocabSize: 300, seed: 3 });
    const ids = await tok.encodeBatch(captions, { maxLength: 24, padding: 'max' });
    expect(sequences.map((s) => s.clips.length).every((n) => n >= 4)).toBe(true);
    for (const s of sequences) {
      for (const c of s.clips) {
        expect(c.frames.length).toBeGreaterThanOrEqual(1);
        expect(c.frames.length).toBeLessThanOrEqual(4);
        expect(c.caption.length).toBeGreaterThan(0);
      }
    }
    expect(ids.every((e) => e.ids.length === 24 && e.ids[0] === tok.clsId)).toBe(true);
    expect(await tok.decode(ids[0].ids)).toBe(captions[0]);
  });

  describe.skipIf(physics.skip)(`physicsworks narration with a Whisper transcript${physics.reason}`, () => {
    it('10 s clips over the audio get the words spoken in them', async () => {
      const audio = resolve(physics.path, 'physicsworks_audio.webm');
      const probe = await media.probe(audio);
      expect(probe.videoStreams).toHaveLength(0);
      expect(probe.durationS).toBeCloseTo(203.3, 0);
      const t = parseTranscript(readFileSync(resolve(physics.path, 'whisper_medium_physicsworks.json'), 'utf8'));
      const plan = await media.segment(audio, { mode: 'fixed', lengthS: 10 });
      const words = transcriptToCues(t, 'word');
      const { pairs } = alignCaptionsToClips(plan.clips, words, { durationS: probe.durationS });
      expect(pairs[0].caption.startsWith('Now I want to return to the conservation of mechanical energy.')).toBe(true);
      expect(pairs.reduce((n, p) => n + p.cueIndices.length, 0)).toBe(words.length);
    });
  });
});
