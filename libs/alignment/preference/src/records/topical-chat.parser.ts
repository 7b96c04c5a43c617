import { readFile } from 'node:fs/promises';
import { CorruptDataError, NotFoundError } from '@tessera/common';
import type { BinaryFeedback, SkippedRow } from './preference-example.types';

/** Tessera's rule: Excellent/Good = 👍, Not Good/Poor = 👎, Passable and empty dropped. */
export const TURN_RATING_TO_LABEL: Readonly<Record<string, boolean | undefined>> = {
  Excellent: true,
  Good: true,
  'Not Good': false,
  Poor: false,
};

export interface TopicalChatOptions {
  /** Earlier turns kept in the prompt (most recent last); default 4. */
  historyTurns?: number;
}

interface Turn {
  message?: unknown;
  agent?: unknown;
  turn_rating?: unknown;
}

/**
 * Topical-Chat conversations JSON → binary feedback on each rated turn. The rated speaker is the
 * "Assistant", the other agent the "Human"; the prompt is the last `historyTurns` turns.
 */
export function parseTopicalChat(
  json: unknown,
  options: TopicalChatOptions = {},
  source = 'topical-chat',
): { feedback: BinaryFeedback[]; skipped: SkippedRow[] } {
  if (!json || typeof json !== 'object')
    throw new CorruptDataError('Topical-Chat file must hold an object of conversations');
  const k = options.historyTurns ?? 4;
  const feedback: BinaryFeedback[] = [];
  const skipped: SkippedRow[] = [];
  for (const [id, conv] of Object.entries(json as Record<string, { content?: Turn[] }>)) {
    const turns = conv?.content;
    if (!Array.isArray(turns)) {
      skipped.push({ where: `${source}:${id}`, reason: 'conversation has no content list' });
      continue;
    }
    turns.forEach((turn, t) => {
      const label = TURN_RATING_TO_LABEL[String(turn.turn_rating)];
      if (label === undefined) return;
      if (typeof turn.message !== 'string' || !turn.message.trim()) {
        skipped.push({ where: `${source}:${id}#${t}`, reason: 'rated turn has no message text' });
        return;
      }
      const history = turns.slice(Math.max(0, t - k), t);
      const prompt =
        history
          .map((h) => `\n\n${h.agent === turn.agent ? 'Assistant' : 'Human'}: ${String(h.message ?? '')}`)
          .join('') + '\n\nAssistant:';
      feedback.push({ id: `${source}:${id}#${t}`, prompt, completion: ` ${turn.message}`, label, source });
    });
  }
  return { feedback, skipped };
}

export async function loadTopicalChat(
  path: string,
  options: TopicalChatOptions = {},
): Promise<{ feedback: BinaryFeedback[]; skipped: SkippedRow[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NotFoundError(`Topical-Chat file not found: ${path}`, { path }, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CorruptDataError(`Topical-Chat file is not valid JSON: ${path}`, { path }, { cause: e });
  }
  return parseTopicalChat(json, options);
}
