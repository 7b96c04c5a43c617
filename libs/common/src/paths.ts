import { resolve, relative, isAbsolute, sep } from 'node:path';
import { InvalidInputError } from './errors';

/**
 * Resolve `candidate` inside `root`, refusing anything that escapes it
 * (`..`, absolute paths elsewhere, NUL bytes).
 */
/**
 * Model version names become folder names: letters, digits, `_`, `.`, `-`, at most 64, not starting with a dot
 * (so never `.`, `..` or a hidden folder). Returns the name.
 */
export function assertModelVersion(version: string): string {
  if (typeof version !== 'string' || !/^[\w-][\w.-]{0,63}$/.test(version))
    throw new InvalidInputError(
      `invalid model version "${version}" (letters, digits, _ . -; at most 64; not starting with a dot)`,
      { version },
    );
  return version;
}

export function resolveInside(root: string, candidate: string): string {
  if (candidate.includes('\0')) throw new InvalidInputError('path contains a NUL byte', { path: candidate });
  const base = resolve(root);
  const full = resolve(base, candidate);
  const rel = relative(base, full);
  if (rel === '') return full;
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new InvalidInputError(`path escapes ${base}`, { path: candidate });
  }
  return full;
}
