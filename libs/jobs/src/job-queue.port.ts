import type { EnqueuedJob, EnqueueOptions, JobCounts, JobListFilter, JobView } from './job.types';

/**
 * The job queue every app uses: the embedded SQLite queue by default, BullMQ when
 * REDIS_URL is set. Abstract class so it is also the Nest DI token.
 */
export abstract class JobQueue {
  /** InvalidInputError when no processor handles `name`. */
  abstract enqueue<P>(name: string, payload: P, options?: EnqueueOptions): Promise<EnqueuedJob>;
  abstract get<P = unknown, R = unknown>(id: string): Promise<JobView<P, R> | undefined>;
  abstract list(filter?: JobListFilter): Promise<JobView[]>;
  abstract counts(): Promise<JobCounts>;
  /** Queue-wide: no new job starts until resume(); running jobs finish. */
  abstract pause(): Promise<void>;
  abstract resume(): Promise<void>;
  abstract isPaused(): Promise<boolean>;
  /** Cancel a queued or running job. False when it had already finished; NotFoundError when unknown. */
  abstract cancel(id: string): Promise<boolean>;
  /** Which engine runs the queue (for health and `tessera doctor`). */
  abstract readonly backend: 'embedded' | 'bullmq';
  abstract close(): Promise<void>;
}
