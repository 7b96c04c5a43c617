import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The staged public datasets beside the project (read-only; absent on some machines).
 * `TESSERA_SHARED_DATA` points elsewhere, e.g. when the suite runs from a copy of the tree.
 */
export const SHARED_DATA_DIR = process.env.TESSERA_SHARED_DATA ?? resolve(__dirname, '../../../../shared/data');

export function sharedDataPath(...parts: string[]): string {
  return resolve(SHARED_DATA_DIR, ...parts);
}

/**
 * Title suffix and skip flag for suites that need staged data, e.g.
 * `describe.skipIf(m.skip)(\`ratings\${m.reason}\`, ...)`. The reason is printed in the title.
 */
export function needsSharedData(...parts: string[]): { skip: boolean; reason: string; path: string } {
  const path = sharedDataPath(...parts);
  const skip = !existsSync(path);
  return { skip, reason: skip ? ` (skipped: ${path} not found)` : '', path };
}
