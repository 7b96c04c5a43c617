import { isTesseraError } from '@tessera/common';

/** Exit codes by error code, so scripts can branch on the kind of failure. */
const EXIT_CODES: Record<string, number> = {
  invalid_input: 2,
  config_invalid: 3,
  not_found: 4,
  conflict: 5,
  dimension_mismatch: 6,
  unsupported_media: 7,
  payload_too_large: 8,
  upstream_unavailable: 9,
  corrupt_data: 10,
  unsupported_modality: 11,
  training_diverged: 12,
};

export function exitCodeFor(err: unknown): number {
  if (isTesseraError(err)) return EXIT_CODES[err.code] ?? 1;
  // commander's own usage errors carry exitCode
  const code = (err as { exitCode?: unknown })?.exitCode;
  return typeof code === 'number' && code > 0 ? code : 1;
}
