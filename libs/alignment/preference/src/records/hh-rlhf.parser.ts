import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { CorruptDataError, InvalidInputError, NotFoundError } from '@tessera/common';
import type { PreferencePair, SkippedRow } from './preference-example.types';

const ASSISTANT_CUE = '\n\nAssistant:';

/**
 * Splits an HH-RLHF (chosen, rejected) transcript pair into the shared prompt — everything up to and
 * including the last `\n\nAssistant:` both share — and the two final assistant turns.
 */
export function splitHhTranscript(
  chosen: string,
  rejected: string,
): { prompt: string; chosen: string; rejected: string } {
  let common = 0;
  const max = Math.min(chosen.length, rejected.length);
  while (common < max && chosen.charCodeAt(common) === rejected.charCodeAt(common)) common++;
  const cut = chosen.lastIndexOf(ASSISTANT_CUE, common - ASSISTANT_CUE.length);
  if (cut < 0) throw new InvalidInputError('chosen and rejected share no prefix ending with "\\n\\nAssistant:"');
  const end = cut + ASSISTANT_CUE.length;
  return { prompt: chosen.slice(0, end), chosen: chosen.slice(end), rejected: rejected.slice(end) };
}

/** Parses HH-RLHF JSONL text (one `{chosen, rejected}` per line); bad lines are skipped and reported. */
export function parseHhRlhf(text: string, source = 'hh-rlhf'): { pairs: PreferencePair[]; skipped: SkippedRow[] } {
  const pairs: PreferencePair[] = [];
  const skipped: SkippedRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const where = `${source}:${i + 1}`;
    try {
      const row = JSON.parse(line) as { chosen?: unknown; rejected?: unknown };
      if (typeof row.chosen !== 'string' || typeof row.rejected !== 'string')
        throw new InvalidInputError('chosen and rejected must be strings');
      if (row.chosen === row.rejected) throw new InvalidInputError('chosen and rejected are identical');
      const split = splitHhTranscript(row.chosen, row.rejected);
      pairs.push({ id: `${source}#${i}`, ...split, source });
    } catch (e) {
      skipped.push({ where, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { pairs, skipped };
}

/** Reads the gzip JSONL file (e.g. harmless-base test). */
export async function loadHhRlhf(path: string): Promise<{ pairs: PreferencePair[]; skipped: SkippedRow[] }> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new NotFoundError(`HH-RLHF file not found: ${path}`, { path }, { cause: e });
  }
  let text: string;
  try {
    text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  } catch (e) {
    throw new CorruptDataError(`HH-RLHF file is not valid gzip: ${path}`, { path }, { cause: e });
  }
  return parseHhRlhf(text);
}
