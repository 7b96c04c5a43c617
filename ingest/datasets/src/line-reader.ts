import { createInterface } from 'node:readline';
import { openTextFile } from './open-text-file';

/**
 * Stream the lines of a text file with 1-based numbers. Handles CRLF and a
 * missing trailing newline (CiteULike, Jester, QVHighlights have none).
 */
export async function* readLines(
  path: string,
  encoding: BufferEncoding = 'utf8',
): AsyncGenerator<{ line: number; text: string }> {
  const rl = createInterface({ input: await openTextFile(path, encoding), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    yield { line, text };
  }
}
