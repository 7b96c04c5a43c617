import { InvalidInputError, NotFoundError } from '@tessera/common';
import { JOB_STATES } from '@tessera/db';
import { JobQueue } from './job-queue.port';
import type { EnqueuedJob, EnqueueOptions, JobCounts, JobListFilter, JobView } from './job.types';

/**
 * In-memory JobQueue for unit tests of code that enqueues: records every call,
 * runs nothing. `acceptNames` (when given) makes unknown names fail like the real queues.
 */
export class RecordingJobQueue extends JobQueue {
  readonly backend = 'embedded' as const;
  readonly jobs: JobView[] = [];
  readonly enqueued: Array<{ name: string; payload: unknown; options: EnqueueOptions }> = [];
  private paused = false;
  private seq = 0;

  constructor(private readonly acceptNames?: readonly string[]) {
    super();
  }

  async enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    if (this.acceptNames && !this.acceptNames.includes(name))
      throw new InvalidInputError(`no processor handles job "${name}"`, { name });
    this.enqueued.push({ name, payload, options });
    if (options.dedupeKey) {
      const active = this.jobs.find(
        (j) => j.dedupeKey === options.dedupeKey && (j.state === 'queued' || j.state === 'running'),
      );
      if (active) return { id: active.id, name, deduplicated: true };
    }
    const now = new Date(Date.UTC(2026, 0, 1) + this.seq * 1000).toISOString();
    const id = `job_rec${++this.seq}`;
    this.jobs.push({
      id,
      name,
      state: 'queued',
      payload: payload ?? null,
      progress: null,
      attempts: 0,
      maxAttempts: options.maxAttempts ?? 3,
      errors: [],
      items: [],
      itemErrorCount: 0,
      result: null,
      dedupeKey: options.dedupeKey ?? null,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
      runAt: now,
    });
    return { id, name, deduplicated: false };
  }

  private shown(j: JobView): JobView {
    return j.state === 'queued' && this.paused ? { ...j, state: 'paused' } : { ...j };
  }

  async get<P = unknown, R = unknown>(id: string): Promise<JobView<P, R> | undefined> {
    const j = this.jobs.find((x) => x.id === id);
    return j ? (this.shown(j) as JobView<P, R>) : undefined;
  }

  async list(filter: JobListFilter = {}): Promise<JobView[]> {
    return this.jobs
      .map((j) => this.shown(j))
      .filter((j) => (!filter.state || j.state === filter.state) && (!filter.name || j.name === filter.name))
      .reverse()
      .slice(filter.offset ?? 0, (filter.offset ?? 0) + (filter.limit ?? 100));
  }

  async counts(): Promise<JobCounts> {
    const c = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts;
    for (const j of this.jobs) c[this.shown(j).state]++;
    return c;
  }

  async pause(): Promise<void> {
    this.paused = true;
  }

  async resume(): Promise<void> {
    this.paused = false;
  }

  async isPaused(): Promise<boolean> {
    return this.paused;
  }

  async cancel(id: string): Promise<boolean> {
    const j = this.jobs.find((x) => x.id === id);
    if (!j) throw new NotFoundError(`job ${id} not found`, { id });
    if (j.state !== 'queued' && j.state !== 'running') return false;
    j.state = 'cancelled';
    return true;
  }

  async close(): Promise<void> {}
}
