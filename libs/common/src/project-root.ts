import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** The folder holding Tessera's package.json, found from this file (works from src and dist). */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tessera') {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find Tessera's package.json above ${__dirname}`);
    dir = up;
  }
}

export function tesseraVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The staged public datasets (`../shared/data` beside the project), or `TESSERA_SHARED_DATA` when the
 * tree runs from a copy elsewhere (as the Node LTS CI run does).
 */
export function stagedDataDir(): string {
  return process.env.TESSERA_SHARED_DATA ?? join(projectRoot(), '..', 'shared', 'data');
}
