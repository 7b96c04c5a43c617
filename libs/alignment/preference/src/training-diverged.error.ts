import { TesseraError } from '@tessera/common';

/**
 * A training step produced a non-finite loss or gradient. The step's update was not applied, so the weights
 * (and the last checkpoint named in `details.lastGoodCheckpoint`) are the last good ones.
 */
export class TrainingDivergedError extends TesseraError {
  readonly code = 'training_diverged';
}
