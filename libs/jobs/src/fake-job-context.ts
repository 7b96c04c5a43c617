import type { JobContext, JobItemError, JobProgress } from './job.types';
import { errorCode, errorMessage } from './job-retry.policy';

/**
 * A JobContext for processor unit tests: no queue, everything recorded.
 * `new FakeJobContext('ingest.video', payload, { checkpoint })`, call the handler, inspect.
 */
export class FakeJobContext<P = unknown> implements JobContext<P> {
  readonly jobId: string;
  readonly attempt: number;
  readonly resumed: boolean;
  readonly controller = new AbortController();
  checkpoint: unknown;
  readonly progressLog: JobProgress[] = [];
  readonly items: JobItemError[] = [];
  readonly checkpoints: unknown[] = [];

  constructor(
    readonly name: string,
    readonly payload: P,
    options: { jobId?: string; attempt?: number; checkpoint?: unknown } = {},
  ) {
    this.jobId = options.jobId ?? 'job_fake';
    this.attempt = options.attempt ?? 1;
    this.checkpoint = options.checkpoint;
    this.resumed = this.attempt > 1 || options.checkpoint !== undefined;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lastProgress(): JobProgress | undefined {
    return this.progressLog.at(-1);
  }

  async reportProgress(done: number, total: number, stage?: string): Promise<void> {
    this.progressLog.push({ done, total, ...(stage !== undefined ? { stage } : {}) });
  }

  async reportItemError(ref: string, error: unknown): Promise<void> {
    this.items.push({ ref: String(ref), error: errorMessage(error), code: errorCode(error), attempt: this.attempt });
  }

  async saveCheckpoint(checkpoint: unknown): Promise<void> {
    const copy: unknown = JSON.parse(JSON.stringify(checkpoint ?? null));
    this.checkpoints.push(copy);
  }
}
