import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, CorruptDataError, NotFoundError } from '@tessera/common';
import { renderModelCardMarkdown, withEvaluations, type ModelCardEvaluation } from '@tessera/eval';
import { writeFileAtomically } from '@tessera/tensor';

export const CARD_FILE = 'card.json';
export const CARD_MARKDOWN_FILE = 'card.md';
const LOCK_FILE = '.card.lock';

export interface CardFileOptions {
  /** The card must name this model (a folder of another model is refused). */
  modelId?: string;
  /** How long to wait for another writer's lock (default 30 s). */
  lockTimeoutMs?: number;
  /** A lock older than this is taken to be left by a crashed writer and removed (default 120 s). */
  staleLockMs?: number;
}

export type ModelCardJson = Record<string, unknown> & { evaluations?: Record<string, ModelCardEvaluation> };

/** Reads and checks a folder's card.json: NotFoundError when absent, CorruptDataError when it does not parse. */
export async function readModelCard(dir: string, modelId?: string): Promise<ModelCardJson> {
  const path = join(dir, CARD_FILE);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (e) {
    throw new NotFoundError(`model card ${path} is missing`, { path }, { cause: e });
  }
  let card: unknown;
  try {
    card = JSON.parse(raw);
  } catch (e) {
    throw new CorruptDataError(`model card ${path} is not valid JSON; left as it is`, { path }, { cause: e });
  }
  if (typeof card !== 'object' || card === null || Array.isArray(card))
    throw new CorruptDataError(`model card ${path} is not a JSON object; left as it is`, { path });
  const found = (card as ModelCardJson).modelId;
  if (modelId && found !== modelId)
    throw new CorruptDataError(`${dir} holds a card of '${String(found)}', not of '${modelId}'`, { path });
  return card as ModelCardJson;
}

/**
 * Records evaluations in the card of one model folder and renders card.md beside it. Under a lock
 * file, so two evaluations finishing together both land; card.json is parsed and checked before
 * anything is written (a damaged card is left untouched); card.json, then card.md, each replace their
 * file atomically, so a crash leaves the old card or the new one.
 */
export async function recordEvaluationsInCard(
  dir: string,
  entries: readonly ModelCardEvaluation[],
  options: CardFileOptions = {},
): Promise<{ card: ModelCardJson; markdown: string }> {
  return withCardLock(dir, options, async () => {
    const card = withEvaluations(await readModelCard(dir, options.modelId), entries);
    const markdown = renderModelCardMarkdown(card);
    await writeFileAtomically(join(dir, CARD_FILE), JSON.stringify(card, null, 2));
    await writeFileAtomically(join(dir, CARD_MARKDOWN_FILE), markdown);
    return { card, markdown };
  });
}

async function withCardLock<T>(dir: string, options: CardFileOptions, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, LOCK_FILE);
  const deadline = Date.now() + (options.lockTimeoutMs ?? 30_000);
  const staleMs = options.staleLockMs ?? 120_000;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > staleMs) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new ConflictError(`the model card in ${dir} is being written by another process (${lock})`, { dir });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}
