import { readFile } from 'node:fs/promises';
import { NotFoundError } from '@tessera/common';
import type { BinaryFeedback, PreferencePair, SkippedRow } from './preference-example.types';

interface OasstMessage {
  message_id: string;
  text: string;
  role: 'prompter' | 'assistant';
  lang?: string;
  deleted?: boolean;
  rank?: number | null;
  emojis?: Record<string, number> | null;
  replies?: OasstMessage[];
}

export interface Oasst2Options {
  /** Keep only messages in this language (e.g. 'en'); all languages when absent. */
  lang?: string;
}

export interface Oasst2Data {
  /** Assistant messages with human thumbs: up iff +1 count > −1 count; ties dropped. */
  feedback: BinaryFeedback[];
  /** Ranked assistant siblings: every (better, worse) combination under the same parent. */
  pairs: PreferencePair[];
  skipped: SkippedRow[];
}

/** Renders the path root → parent as an HH-style dialogue ending with the assistant cue. */
function renderPrompt(history: readonly OasstMessage[]): string {
  return (
    history.map((m) => `\n\n${m.role === 'prompter' ? 'Human' : 'Assistant'}: ${m.text}`).join('') + '\n\nAssistant:'
  );
}

/** Parses OASST2 message-tree JSONL (one tree per line). Bad lines are skipped and reported. */
export function parseOasst2(text: string, options: Oasst2Options = {}, source = 'oasst2'): Oasst2Data {
  const out: Oasst2Data = { feedback: [], pairs: [], skipped: [] };
  const keep = (m: OasstMessage) =>
    !m.deleted && typeof m.text === 'string' && (!options.lang || m.lang === options.lang);
  const visit = (m: OasstMessage, history: OasstMessage[]): void => {
    const path = [...history, m];
    const replies = (m.replies ?? []).filter(keep);
    const assistants = replies.filter((r) => r.role === 'assistant');
    if (assistants.length > 0 && m.role === 'prompter') {
      const prompt = renderPrompt(path);
      for (const a of assistants) {
        const up = a.emojis?.['+1'] ?? 0;
        const down = a.emojis?.['-1'] ?? 0;
        if (up !== down) {
          out.feedback.push({
            id: `${source}:${a.message_id}`,
            prompt,
            completion: ` ${a.text}`,
            label: up > down,
            source,
          });
        }
      }
      const ranked = assistants
        .filter((a) => typeof a.rank === 'number')
        .sort((x, y) => (x.rank as number) - (y.rank as number));
      for (let i = 0; i < ranked.length; i++) {
        for (let j = i + 1; j < ranked.length; j++) {
          if (ranked[i].rank === ranked[j].rank) continue;
          out.pairs.push({
            id: `${source}:${ranked[i].message_id}>${ranked[j].message_id}`,
            prompt,
            chosen: ` ${ranked[i].text}`,
            rejected: ` ${ranked[j].text}`,
            source,
          });
        }
      }
    }
    for (const r of replies) visit(r, path);
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      const tree = JSON.parse(line) as { prompt?: OasstMessage };
      if (!tree.prompt || typeof tree.prompt.text !== 'string') throw new Error('tree has no prompt message');
      if (keep(tree.prompt)) visit(tree.prompt, []);
    } catch (e) {
      out.skipped.push({ where: `${source}:${i + 1}`, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}

export async function loadOasst2(path: string, options: Oasst2Options = {}): Promise<Oasst2Data> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NotFoundError(`OASST2 file not found: ${path}`, { path }, { cause: e });
  }
  return parseOasst2(text, options);
}
