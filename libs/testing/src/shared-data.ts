import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { stagedDataDir } from '@tessera/common';

/** The staged public datasets (read-only; absent on some machines): see `stagedDataDir`. */
export const SHARED_DATA_DIR = stagedDataDir();

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
