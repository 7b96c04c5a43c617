import { CorruptDataError, InvalidInputError } from '@tessera/common';

/** Serialise a JSON column value, refusing values JSON cannot represent. */
export function toJsonText(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new InvalidInputError(`${what} is not JSON-serialisable: ${(e as Error).message}`, { field: what });
  }
  if (text === undefined) throw new InvalidInputError(`${what} is not JSON-serialisable`, { field: what });
  return text;
}

/** Parse a stored JSON column; a bad value is corruption, not a user error. */
export function fromJsonText<T>(text: string | null, what: string): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new CorruptDataError(`stored ${what} is not valid JSON: ${(e as Error).message}`, { field: what });
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}

export function clampLimit(limit: number | undefined, def = 100, max = 10_000): number {
  if (limit === undefined) return def;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError(`limit must be a positive integer, got ${limit}`);
  return Math.min(limit, max);
}

export function checkOffset(offset: number | undefined): number {
  if (offset === undefined) return 0;
  if (!Number.isInteger(offset) || offset < 0)
    throw new InvalidInputError(`offset must be a non-negative integer, got ${offset}`);
  return offset;
}

export function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidInputError(`${what} must be a non-empty string`, { field: what });
  return value;
}

export function requireFinite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InvalidInputError(`${what} must be a finite number`, { field: what });
  return value;
}
