import { join } from 'node:path';
import { InvalidInputError, stagedDataDir } from '@tessera/common';
import {
  loadHhRlhf,
  loadOasst2,
  loadTopicalChat,
  splitByIndex,
  unpairPreferences,
  type BinaryFeedback,
  type PreferencePair,
  type PromptCompletion,
} from '@tessera/alignment/preference';

export const LM_SOURCES = ['hh-rlhf', 'oasst2', 'topical-chat'] as const;
export type LmSource = (typeof LM_SOURCES)[number];

/** Default files of each source inside the staged data folder (`../shared/data/alignment`). */
const DEFAULT_FILES: Record<LmSource, string[]> = {
  'hh-rlhf': ['hh-rlhf', 'harmless-base-test.jsonl.gz'],
  oasst2: ['oasst2-subset', 'oasst2_filtered.jsonl'],
  'topical-chat': ['topical-chat', 'conversations', 'valid_freq.json'],
};

/** Default split seed (the one the alignment medium tests use for HH-RLHF). */
export const LM_SPLIT_SEED = 13;

export function assertLmSource(source: string): LmSource {
  if (!(LM_SOURCES as readonly string[]).includes(source))
    throw new InvalidInputError(`unknown dialogue source "${source}"; known: ${LM_SOURCES.join(', ')}`, { source });
  return source as LmSource;
}

export function defaultLmSourcePath(source: LmSource): string {
  return join(stagedDataDir(), 'alignment', ...DEFAULT_FILES[source]);
}

export interface LmSplit<T> {
  train: T[];
  heldOut: T[];
  /** Rows the loader skipped (bad lines), counted for the card. */
  skipped: number;
}

function split<T>(rows: T[], seed: number, skipped: number): LmSplit<T> {
  if (rows.length < 3) throw new InvalidInputError(`need at least 3 usable rows, found ${rows.length}`);
  // spec §10: 80/10/10 by index with a fixed seed; the validation part is held out here and the test
  // part is left for the evaluation, so nothing trained on here ever reaches either
  const s = splitByIndex(rows, seed);
  return { train: s.train, heldOut: s.validation, skipped };
}

/**
 * Dialogue text for supervised fine-tuning, as (prompt, completion) rows: HH-RLHF chosen responses,
 * OASST2 assistant messages people liked (thumbs-up or ranked best of a pair), Topical-Chat turns rated
 * Good or Excellent. Split with a fixed seed, so an aligned version can hold out the same prompts.
 */
export async function loadSftRows(
  source: LmSource,
  options: { path?: string; splitSeed: number },
): Promise<LmSplit<PromptCompletion>> {
  const path = options.path ?? defaultLmSourcePath(source);
  if (source === 'hh-rlhf') {
    // split the pairs, not the rows, so held-out prompts match the preference split
    const pairs = await loadPreferencePairs(source, options);
    const toRow = (p: PreferencePair) => ({ prompt: p.prompt, completion: p.chosen });
    return { train: pairs.train.map(toRow), heldOut: pairs.heldOut.map(toRow), skipped: pairs.skipped };
  }
  if (source === 'oasst2') {
    const data = await loadOasst2(path, { lang: 'en' });
    const seen = new Set<string>();
    const rows: PromptCompletion[] = [];
    const add = (prompt: string, completion: string) => {
      const key = `${prompt}\u0000${completion}`;
      if (seen.has(key)) return;
      seen.add(key);
      rows.push({ prompt, completion });
    };
    for (const f of data.feedback) if (f.label) add(f.prompt, f.completion);
    for (const p of data.pairs) add(p.prompt, p.chosen);
    return split(rows, options.splitSeed, data.skipped.length);
  }
  const { feedback, skipped } = await loadTopicalChat(path);
  return split(
    feedback.filter((f) => f.label).map((f) => ({ prompt: f.prompt, completion: f.completion })),
    options.splitSeed,
    skipped.length,
  );
}

/** Paired preferences (HH-RLHF chosen/rejected, OASST2 ranked siblings) split with a fixed seed. */
export async function loadPreferencePairs(
  source: LmSource,
  options: { path?: string; splitSeed: number },
): Promise<LmSplit<PreferencePair>> {
  const path = options.path ?? defaultLmSourcePath(source);
  if (source === 'hh-rlhf') {
    const { pairs, skipped } = await loadHhRlhf(path);
    return split(pairs, options.splitSeed, skipped.length);
  }
  if (source === 'oasst2') {
    const data = await loadOasst2(path, { lang: 'en' });
    return split(data.pairs, options.splitSeed, data.skipped.length);
  }
  throw new InvalidInputError('topical-chat has ratings of single turns, not pairs: use it with kto or bco');
}

/**
 * Unpaired thumbs for KTO and BCO: OASST2 emoji votes, Topical-Chat turn ratings, or HH-RLHF pairs unpaired
 * (chosen 👍, rejected 👎) after the split, so no held-out prompt leaks into training.
 */
export async function loadThumbs(
  source: LmSource,
  options: { path?: string; splitSeed: number },
): Promise<LmSplit<BinaryFeedback>> {
  const path = options.path ?? defaultLmSourcePath(source);
  if (source === 'hh-rlhf') {
    const pairs = await loadPreferencePairs(source, options);
    return {
      train: unpairPreferences(pairs.train),
      heldOut: unpairPreferences(pairs.heldOut),
      skipped: pairs.skipped,
    };
  }
  if (source === 'oasst2') {
    const data = await loadOasst2(path, { lang: 'en' });
    return split(data.feedback, options.splitSeed, data.skipped.length);
  }
  const { feedback, skipped } = await loadTopicalChat(path);
  return split(feedback, options.splitSeed, skipped.length);
}

/** A seeded subset of at most `max` rows (all when absent). */
export function capRows<T>(rows: T[], max: number | undefined, seed: number): T[] {
  if (!max || rows.length <= max) return rows;
  return splitByIndex(rows, seed, [1, 0, 0]).train.slice(0, max);
}
