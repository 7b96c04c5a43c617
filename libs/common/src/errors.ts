/**
 * Typed errors shared by every app. Each has a stable `code`; apps map them to
 * HTTP statuses (api), exit codes (cli) or retry decisions (worker).
 */
export type ErrorDetails = Record<string, unknown>;

export abstract class TesseraError extends Error {
  abstract readonly code: string;
  /** Whether retrying the same operation later may succeed. */
  readonly retryable: boolean = false;

  constructor(
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  toJSON(): { code: string; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export class InvalidInputError extends TesseraError {
  readonly code = 'invalid_input';
}

export class NotFoundError extends TesseraError {
  readonly code = 'not_found';
}

export class ConflictError extends TesseraError {
  readonly code = 'conflict';
}

export class DimensionMismatchError extends TesseraError {
  readonly code = 'dimension_mismatch';
}

export class PayloadTooLargeError extends TesseraError {
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaError extends TesseraError {
  readonly code = 'unsupported_media';
}

/** Well-formed input the chosen model cannot handle, e.g. an image sent to a text-only model. */
export class UnsupportedModalityError extends TesseraError {
  readonly code = 'unsupported_modality';
}

export class UpstreamUnavailableError extends TesseraError {
  readonly code = 'upstream_unavailable';
  override readonly retryable = true;
}

export class ConfigError extends TesseraError {
  readonly code = 'config_invalid';
}

/** Corrupt stored data found at start-up or read time: never silently replaced. */
export class CorruptDataError extends TesseraError {
  readonly code = 'corrupt_data';
}

export class UnauthorizedError extends TesseraError {
  readonly code = 'unauthorized';
}

export function isTesseraError(e: unknown): e is TesseraError {
  return e instanceof TesseraError;
}

/** One-line description of any thrown value, for logs and CLI output. */
export function describeError(e: unknown): string {
  if (e instanceof TesseraError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
