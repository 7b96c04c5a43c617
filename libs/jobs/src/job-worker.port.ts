/** Runs registered processors against a JobQueue. */
export abstract class JobWorker {
  abstract start(): Promise<void>;
  /**
   * Stop taking jobs; wait up to `graceMs` for running ones, then abort them and
   * hand them back to the queue (they resume from their checkpoint elsewhere).
   */
  abstract stop(options?: { graceMs?: number }): Promise<void>;
  abstract readonly running: boolean;
}
