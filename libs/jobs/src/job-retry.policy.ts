import { InvalidInputError, isTesseraError } from '@tessera/common';

/** Bad input will be bad on every attempt: fail at once. Everything else may be transient. */
export function isPermanentJobError(e: unknown): boolean {
  return e instanceof InvalidInputError;
}

/** Delay before attempt `attempt + 1`, after `attempt` failures: backoffMs · 2^(attempt-1), capped at a day. */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  const exp = Math.max(0, attempt - 1);
  return Math.min(backoffMs * 2 ** Math.min(exp, 30), 24 * 3600 * 1000);
}

export function errorCode(e: unknown): string {
  if (isTesseraError(e)) return e.code;
  if (e instanceof Error && e.name) return e.name;
  return 'error';
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
