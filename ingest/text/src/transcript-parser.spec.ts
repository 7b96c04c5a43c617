import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@tessera/common';
import { needsSharedData } from '@tessera/testing';
import { parseTranscript, transcriptToCues } from './transcript-parser';

const whisper = needsSharedData('video/narration/physicsworks/whisper_medium_physicsworks.json');

describe('parseTranscript', () => {
  it("reads Whisper's own {start, end} layout", () => {
    const t = parseTranscript({
      language: 'en',
      segments: [
        {
          start: 0,
          end: 1.5,
          text: ' Hello  there',
          words: [{ word: ' Hello', start: 0, end: 0.5, probability: 0.9 }],
        },
      ],
    });
    expect(t).toEqual({
      language: 'en',
      text: 'Hello there',
      segments: [
        {
          index: 0,
          startS: 0,
          endS: 1.5,
          text: 'Hello there',
          confidence: undefined,
          words: [{ word: 'Hello', startS: 0, endS: 0.5, confidence: 0.9 }],
        },
      ],
    });
  });

  it.each([
    ['end before start', { segments: [{ start: 2, end: 1, text: 'x' }] }, /segment 0 has a broken time span 2 -> 1/],
    [
      'negative word time',
      { segments: [{ start: 0, end: 1, text: 'x', words: [{ word: ' hi', start: -1, end: 0.2 }] }] },
      /segment 0 word 0 \("hi"\) has a broken time span/,
    ],
    ['no times', { segments: [{ text: 'x' }] }, /segment 0 has no start\/end time/],
    ['not a transcript', { foo: 1 }, /not a timestamped transcript at segments/],
    ['not JSON', '{oops', /not valid JSON/],
  ])('rejects %s with InvalidInputError', (_n, input, message) => {
    expect(() => parseTranscript(input, 'bad.json')).toThrow(InvalidInputError);
    expect(() => parseTranscript(input, 'bad.json')).toThrow(message);
  });

  describe.skipIf(whisper.skip)(`the staged Whisper-medium physicsworks file${whisper.reason}`, () => {
    it('has 40 segments with word timestamps inside each segment', () => {
      const t = parseTranscript(readFileSync(whisper.path, 'utf8'), 'physicsworks');
      expect(t.language).toBe('en');
      expect(t.segments).toHaveLength(40);
      expect(t.segments[0]).toMatchObject({
        startS: 0,
        endS: 4.94,
        text: 'Now I want to return to the conservation of mechanical energy.',
      });
      expect(t.segments[0].words[0]).toMatchObject({ word: 'Now', startS: 0, endS: 0.24 });
      for (const s of t.segments) for (const w of s.words) expect(w.startS).toBeGreaterThanOrEqual(s.startS - 0.5);
      const words = transcriptToCues(t, 'word');
      expect(words.length).toBe(t.segments.reduce((n, s) => n + s.words.length, 0));
      expect(transcriptToCues(t)).toHaveLength(40);
    });
  });
});
