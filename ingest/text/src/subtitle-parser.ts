import { InvalidInputError } from '@tessera/common';
import { parse as parseSrtVtt } from '@plussub/srt-vtt-parser';
import { normalizeText } from './text-normalizer';
import type { SubtitleFormat, TextCue } from './subtitle-cue.types';

export interface ParseSubtitlesOptions {
  /** Default: WebVTT when the text starts with `WEBVTT`, else SRT. */
  format?: SubtitleFormat;
  /** Named in error messages (a file name or item id). */
  source?: string;
}

export interface ParsedSubtitles {
  format: SubtitleFormat;
  cues: TextCue[];
  /** Things repaired or skipped on the way, one line each. */
  notes: string[];
}

interface ParserEntry {
  id: string;
  from: number;
  to: number;
  text: string;
}

const TS = String.raw`(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?`;
const TIMING = new RegExp(String.raw`^\s*${TS}\s*-->\s*${TS}(?:\s+.*)?$`);

/**
 * SRT and WebVTT, read in two steps. Our own pass splits blocks, checks every timing line
 * (so a broken one fails naming its cue instead of shifting all later cues, as the library
 * does) and writes canonical timestamps; @plussub/srt-vtt-parser then reads that text.
 * Files in the wild need the first step: the MediaElement SRT has `00:00:04` (no millis),
 * `00:00:00,1`, and a cue line after a blank line.
 */
export function parseSubtitles(content: string, options: ParseSubtitlesOptions = {}): ParsedSubtitles {
  const source = options.source ?? 'subtitles';
  const text = content.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n');
  const format: SubtitleFormat = options.format ?? (/^WEBVTT(?:[ \t].*)?(?:\n|$)/.test(text) ? 'vtt' : 'srt');
  const blocks = text
    .split(/\n[ \t]*\n/)
    .map((b) => b.split('\n').filter((l, i, a) => !(l.trim() === '' && (i === 0 || i === a.length - 1))));
  const notes: string[] = [];
  const drafts: { id?: string; startMs: number; endMs: number; lines: string[]; block: number }[] = [];

  blocks.forEach((lines, b) => {
    if (lines.length === 0 || lines.every((l) => l.trim() === '')) return;
    if (format === 'vtt' && ((b === 0 && /^WEBVTT/.test(lines[0])) || /^(NOTE|STYLE|REGION)\b/.test(lines[0]))) return;
    const t = lines.findIndex((l) => l.includes('-->'));
    const cueName = `cue ${drafts.length + 1}${lines[0] && t !== 0 ? ` (id "${lines[0].trim()}")` : ''}`;
    if (t < 0) {
      const timingAttempt = lines.some((l) => /\d+:\d+/.test(l) && /[-=>→]/.test(l));
      const idThenMore = /^\d+$/.test(lines[0].trim()) && lines.length > 1;
      if (timingAttempt || idThenMore || drafts.length === 0) {
        throw new InvalidInputError(
          `${source}: ${cueName} near block ${b + 1} has no valid "start --> end" timing line`,
          {
            source,
            cue: drafts.length + 1,
            block: b + 1,
            lines: lines.slice(0, 3),
          },
        );
      }
      if (
        lines.length === 1 &&
        /^\d+$/.test(lines[0].trim()) &&
        blocks.slice(b + 1).every((rest) => rest.every((l) => l.trim() === ''))
      ) {
        notes.push(`block ${b + 1} holds only a cue number at the end of the file; skipped`);
        return;
      }
      // Text after a blank line inside a cue: keep it with the cue it follows.
      drafts[drafts.length - 1].lines.push(...lines);
      notes.push(`block ${b + 1} has no timing line; joined to cue ${drafts.length}`);
      return;
    }
    const m = TIMING.exec(lines[t]);
    if (!m || t > 1) {
      throw new InvalidInputError(`${source}: ${cueName} has a broken timing line "${lines[t].trim()}"`, {
        source,
        cue: drafts.length + 1,
        line: lines[t],
      });
    }
    const startMs = toMs(m.slice(1, 5), source, cueName);
    const endMs = toMs(m.slice(5, 9), source, cueName);
    if (endMs < startMs) {
      throw new InvalidInputError(`${source}: ${cueName} ends (${lines[t].trim()}) before it starts`, {
        source,
        cue: drafts.length + 1,
      });
    }
    const body = lines.slice(t + 1);
    drafts.push({ id: t === 1 ? lines[0].trim() : undefined, startMs, endMs, lines: body, block: b });
  });

  const kept = drafts.filter((d, i) => {
    const empty = d.lines.every((l) => l.trim() === '');
    if (empty) notes.push(`cue ${i + 1} has no text; skipped`);
    return !empty;
  });
  const canonical = kept
    .map(
      (d, i) =>
        `${i + 1}\n${fmt(d.startMs, format)} --> ${fmt(d.endMs, format)}\n${d.lines.map(escapeArrow).join('\n')}`,
    )
    .join('\n\n');
  // The package's typings import './types' without an extension, which nodenext cannot follow.
  const parsed = (
    parseSrtVtt(format === 'vtt' ? `WEBVTT\n\n${canonical}\n` : `${canonical}\n`) as { entries: ParserEntry[] }
  ).entries;
  if (parsed.length !== kept.length) {
    throw new InvalidInputError(`${source}: subtitle parser read ${parsed.length} cues, expected ${kept.length}`, {
      source,
    });
  }
  const cues: TextCue[] = parsed.map((e, i) => ({
    index: i,
    id: kept[i].id,
    startS: e.from / 1000,
    endS: e.to / 1000,
    rawText: kept[i].lines.join('\n'),
    text: normalizeText(e.text.replace(/-\u200b->/g, '-->')),
  }));
  return { format, cues, notes };
}

// Windows-1252 0x80-0x9f; '' where the code page leaves a byte undefined.
const CP1252_HIGH = [...'€\u0000‚ƒ„…†‡ˆ‰Š‹Œ\u0000Ž\u0000\u0000‘’“”•–—˜™š›œ\u0000žŸ'].map((c) =>
  c === '\u0000' ? '' : c,
);

/**
 * Subtitle bytes to text: a UTF-8 or UTF-16 byte-order mark wins; otherwise UTF-8 when the bytes
 * are valid UTF-8, else Windows-1252 (older SRT files from Western-European tools).
 */
export function decodeSubtitleBytes(bytes: Uint8Array): {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
} {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Node's decoder maps 0x80-0x9f to C1 controls (Latin-1), so the Windows-1252 letters are mapped here.
    let text = '';
    for (const b of bytes) text += b >= 0x80 && b <= 0x9f ? (CP1252_HIGH[b - 0x80] ?? '') : String.fromCharCode(b);
    return { text, encoding: 'windows-1252' };
  }
}

function toMs(parts: (string | undefined)[], source: string, cueName: string): number {
  const [h, m, s, frac] = parts;
  const mm = Number(m);
  const ss = Number(s);
  if (mm >= 60 || ss >= 60) {
    throw new InvalidInputError(`${source}: ${cueName} has an impossible time ${h ?? '0'}:${m}:${s}`, { source });
  }
  // A fraction is decimal: ",1" is 100 ms, ",25" 250 ms.
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return ((Number(h ?? 0) * 60 + mm) * 60 + ss) * 1000 + ms;
}

function fmt(ms: number, format: SubtitleFormat): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(h)}:${p(m)}:${p(s)}${format === 'vtt' ? '.' : ','}${p(ms % 1000, 3)}`;
}

/** A literal "-->" in cue text would read as a timing line; break it with a zero-width space, undone after. */
function escapeArrow(line: string): string {
  return line.replace(/-->/g, '-\u200b->');
}
