import { InvalidInputError } from '@tessera/common';
import { z } from 'zod';
import { normalizeText } from './text-normalizer';
import type { TextCue } from './subtitle-cue.types';

export interface TranscriptWord {
  word: string;
  startS: number;
  endS: number;
  confidence?: number;
}

export interface TranscriptSegment {
  index: number;
  startS: number;
  endS: number;
  text: string;
  confidence?: number;
  words: TranscriptWord[];
}

export interface Transcript {
  language?: string;
  text: string;
  segments: TranscriptSegment[];
}

// Two layouts: {time_interval:{start,end}} (the staged Whisper-medium file) and Whisper's own {start,end}.
const timeFields = z.object({
  time_interval: z.object({ start: z.number(), end: z.number() }).optional(),
  start: z.number().optional(),
  end: z.number().optional(),
});
const wordSchema = timeFields.extend({
  word: z.string(),
  alignment_confidence: z.number().nullish(),
  probability: z.number().nullish(),
});
const segmentSchema = timeFields.extend({
  text: z.string(),
  confidence: z.number().nullish(),
  words: z.array(wordSchema).optional(),
});
const transcriptSchema = z.object({
  segments: z.array(segmentSchema),
  transcription: z.object({ text: z.string() }).optional(),
  transcription_info: z.object({ language: z.string().optional() }).optional(),
  text: z.string().optional(),
  language: z.string().optional(),
});

/**
 * Word- and segment-timestamped JSON transcripts. Every time is checked (finite, not negative,
 * end >= start); a bad one fails naming the segment (and word), never shifting the rest.
 */
export function parseTranscript(json: string | unknown, source = 'transcript'): Transcript {
  let data: unknown = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch (e) {
      throw new InvalidInputError(`${source}: not valid JSON (${(e as Error).message})`, { source });
    }
  }
  const parsed = transcriptSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InvalidInputError(
      `${source}: not a timestamped transcript at ${first.path.join('.') || '(root)'}: ${first.message}`,
      {
        source,
        issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
      },
    );
  }
  const t = parsed.data;
  const segments = t.segments.map((s, i): TranscriptSegment => {
    const where = `segment ${i}`;
    const [startS, endS] = times(s, source, where);
    return {
      index: i,
      startS,
      endS,
      text: normalizeText(s.text),
      confidence: s.confidence ?? undefined,
      words: (s.words ?? []).map((w, j) => {
        const [ws, we] = times(w, source, `${where} word ${j} ("${w.word.trim()}")`);
        return {
          word: normalizeText(w.word),
          startS: ws,
          endS: we,
          confidence: w.alignment_confidence ?? w.probability ?? undefined,
        };
      }),
    };
  });
  return {
    language: t.transcription_info?.language ?? t.language,
    text: normalizeText(t.transcription?.text ?? t.text ?? segments.map((s) => s.text).join(' ')),
    segments,
  };
}

/** Cues for caption alignment: one per segment, or one per word. */
export function transcriptToCues(t: Transcript, level: 'segment' | 'word' = 'segment'): TextCue[] {
  if (level === 'segment') {
    return t.segments.map((s, index) => ({ index, startS: s.startS, endS: s.endS, text: s.text, rawText: s.text }));
  }
  return t.segments
    .flatMap((s) => s.words)
    .map((w, index) => ({ index, startS: w.startS, endS: w.endS, text: w.word, rawText: w.word }));
}

function times(o: z.infer<typeof timeFields>, source: string, where: string): [number, number] {
  const start = o.time_interval?.start ?? o.start;
  const end = o.time_interval?.end ?? o.end;
  if (start === undefined || end === undefined) {
    throw new InvalidInputError(`${source}: ${where} has no start/end time`, { source, where });
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || start < 0 || end < start) {
    throw new InvalidInputError(`${source}: ${where} has a broken time span ${start} -> ${end}`, {
      source,
      where,
      start,
      end,
    });
  }
  return [start, end];
}
