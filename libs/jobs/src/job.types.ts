import type { JobState } from '@tessera/db';

export type { JobState } from '@tessera/db';
export { JOB_STATES } from '@tessera/db';

export interface JobProgress {
  done: number;
  total: number;
  stage?: string;
}

/** One failed attempt (or interruption) of a job. */
export interface JobErrorEntry {
  attempt: number;
  at: string;
  code: string;
  message: string;
  /** Whether the queue scheduled another attempt after this error. */
  willRetry: boolean;
}

/** An error on one item inside a job; the job itself went on. Latest per `ref`. */
export interface JobItemError {
  ref: string;
  error: string;
  code: string;
  attempt: number;
}

/** The report of a job as any caller sees it. */
export interface JobView<P = unknown, R = unknown> {
  id: string;
  name: string;
  state: JobState;
  payload: P;
  progress: JobProgress | null;
  attempts: number;
  maxAttempts: number;
  errors: JobErrorEntry[];
  /** Per-item errors, latest per ref, at most the worker's `maxItemErrors` (1000) of them. */
  items: JobItemError[];
  /** Every per-item error reported, also those past the cap. */
  itemErrorCount: number;
  result: R | null;
  dedupeKey: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** When a queued job becomes due (ISO). */
  runAt: string;
}

export interface EnqueueOptions {
  /** Attempts in all, the first included (default 3). */
  maxAttempts?: number;
  /** Delay before the 2nd attempt; doubled for each further one (default 1000 ms). */
  backoffMs?: number;
  /** While a job with this key is queued or running, enqueueing it again returns that job. */
  dedupeKey?: string;
  /** Do not start before this many ms from now. */
  delayMs?: number;
}

export interface EnqueuedJob {
  id: string;
  name: string;
  /** True when an active job with the same dedupeKey was returned instead of a new one. */
  deduplicated: boolean;
}

export interface JobListFilter {
  state?: JobState;
  name?: string;
  limit?: number;
  offset?: number;
}

export type JobCounts = Record<JobState, number>;

/** What a processor receives. */
export interface JobContext<P = unknown> {
  jobId: string;
  name: string;
  payload: P;
  /** 1 for the first attempt; an attempt cut short by a crash is not counted. */
  attempt: number;
  /** The last object passed to saveCheckpoint (by this or an earlier attempt), if any. */
  checkpoint: unknown;
  /** True when an earlier attempt of this job was interrupted or failed. */
  resumed: boolean;
  /** Aborted on cancel, on lost lease and on worker shutdown: stop soon and return or throw. */
  signal: AbortSignal;
  reportProgress(done: number, total: number, stage?: string): Promise<void>;
  reportItemError(ref: string, error: unknown): Promise<void>;
  /** Durably store resume state (e.g. ids already done); written before this resolves. */
  saveCheckpoint(checkpoint: unknown): Promise<void>;
}

export type JobHandler<P = unknown, R = unknown> = (ctx: JobContext<P>) => Promise<R> | R;

/** What a worker persists while a job runs. */
export interface JobRunSnapshot {
  progress: JobProgress | null;
  items: JobItemError[];
  itemErrorCount: number;
}
