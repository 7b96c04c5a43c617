import { Job, Queue, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import { InvalidInputError, NotFoundError, UpstreamUnavailableError, newId } from '@tessera/common';
import { JOB_STATES, type JobState } from '@tessera/db';
import { readRunState } from './bullmq-run-state';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobQueue } from './job-queue.port';
import type { EnqueuedJob, EnqueueOptions, JobCounts, JobListFilter, JobView } from './job.types';

export interface BullmqJobQueueOptions {
  redisUrl: string;
  queueName?: string;
  registry?: JobHandlerRegistry;
  /** A Redis call that has not answered after this long is UpstreamUnavailableError (default 5 s). */
  timeoutMs?: number;
}

const WAITING: JobType[] = ['waiting', 'prioritized', 'delayed', 'waiting-children'];

/**
 * The JobQueue port on BullMQ. One BullMQ queue; our job name is BullMQ's job
 * name. Cancelled jobs are not a BullMQ state: a waiting job is removed and its
 * report kept in a hash; an active one is aborted by its worker and ends failed
 * with reason `cancelled`, reported here as `cancelled`.
 */
export class BullmqJobQueue extends JobQueue {
  readonly backend = 'bullmq' as const;
  readonly queueName: string;
  readonly queue: Queue;
  /** Our own keys (cancellations); BullMQ's connection is separate. */
  readonly redis: Redis;
  readonly redisUrl: string;

  constructor(private readonly options: BullmqJobQueueOptions) {
    super();
    this.queueName = options.queueName ?? 'tessera';
    this.redisUrl = options.redisUrl;
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
    this.redis.on('error', () => undefined); // surfaced per call as UpstreamUnavailableError
    this.queue = new Queue(this.queueName, { connection: new Redis(options.redisUrl, { maxRetriesPerRequest: 2 }) });
    this.queue.on('error', () => undefined);
  }

  /** Hash: job id → JSON report of jobs cancelled before they started. */
  get cancelledKey(): string {
    return this.queue.toKey('tessera-cancelled');
  }

  /** Set: ids of running jobs whose cancellation was asked for (workers poll it). */
  get cancelRequestsKey(): string {
    return this.queue.toKey('tessera-cancel-requests');
  }

  private async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const redisUrl = this.redisUrl.replace(/\/\/[^@]*@/, '//***@');
    let timer: NodeJS.Timeout | undefined;
    // BullMQ waits for a connection indefinitely; callers get a typed error instead.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new UpstreamUnavailableError(`redis did not answer ${what} within ${timeoutMs} ms`, { redisUrl })),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      if (e instanceof InvalidInputError || e instanceof NotFoundError || e instanceof UpstreamUnavailableError)
        throw e;
      const msg = e instanceof Error ? e.message : String(e);
      if (/ECONNREFUSED|Connection is closed|max retries|ETIMEDOUT|ENOTFOUND/i.test(msg)) {
        throw new UpstreamUnavailableError(`redis unavailable during ${what}: ${msg}`, { redisUrl }, { cause: e });
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    this.options.registry?.assertAccepts(name);
    const maxAttempts = options.maxAttempts ?? 3;
    const backoffMs = options.backoffMs ?? 1000;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new InvalidInputError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
    if (!Number.isFinite(backoffMs) || backoffMs < 0)
      throw new InvalidInputError(`backoffMs must be >= 0, got ${backoffMs}`);
    try {
      JSON.stringify(payload ?? null);
    } catch (e) {
      throw new InvalidInputError(`job payload is not JSON-serialisable: ${(e as Error).message}`, { name });
    }
    return this.guard('enqueue', async () => {
      const jobId = newId('job');
      const job = await this.queue.add(
        name,
        { payload: payload ?? null },
        {
          jobId,
          attempts: maxAttempts,
          backoff: { type: 'exponential', delay: backoffMs },
          delay: options.delayMs,
          deduplication: options.dedupeKey ? { id: options.dedupeKey } : undefined,
          removeOnComplete: false,
          removeOnFail: false,
        },
      );
      return { id: job.id ?? jobId, name, deduplicated: job.id !== undefined && job.id !== jobId };
    });
  }

  private async toView(job: Job, paused: boolean): Promise<JobView | undefined> {
    const raw = await job.getState();
    if (raw === 'unknown') return undefined;
    let state: JobState;
    if (raw === 'active') state = 'running';
    else if (raw === 'completed') state = 'succeeded';
    else if (raw === 'failed') state = job.failedReason === 'cancelled' ? 'cancelled' : 'failed';
    else state = paused ? 'paused' : 'queued';
    const run = readRunState(job.progress);
    const iso = (ms?: number) => (ms ? new Date(ms).toISOString() : null);
    return {
      id: job.id as string,
      name: job.name,
      state,
      payload: (job.data as { payload?: unknown })?.payload ?? null,
      progress: run.progress,
      attempts: state === 'running' ? job.attemptsMade + 1 : job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      errors: run.errors,
      items: run.items,
      itemErrorCount: run.itemErrorCount,
      result: job.returnvalue ?? null,
      dedupeKey: job.deduplicationId ?? null,
      createdAt: new Date(job.timestamp).toISOString(),
      updatedAt: new Date(Math.max(job.timestamp, job.processedOn ?? 0, job.finishedOn ?? 0)).toISOString(),
      startedAt: iso(job.processedOn),
      finishedAt: iso(job.finishedOn),
      runAt: new Date(job.timestamp + (job.delay ?? 0)).toISOString(),
    };
  }

  async get<P = unknown, R = unknown>(id: string): Promise<JobView<P, R> | undefined> {
    return this.guard('get', async () => {
      const job = await this.queue.getJob(id);
      if (job) return (await this.toView(job, await this.queue.isPaused())) as JobView<P, R> | undefined;
      const cancelled = await this.redis.hget(this.cancelledKey, id);
      return cancelled ? (JSON.parse(cancelled) as JobView<P, R>) : undefined;
    });
  }

  async list(filter: JobListFilter = {}): Promise<JobView[]> {
    if (filter.state && !JOB_STATES.includes(filter.state))
      throw new InvalidInputError(`unknown job state ${filter.state}`);
    return this.guard('list', async () => {
      const paused = await this.queue.isPaused();
      const limit = Math.min(Math.max(1, filter.limit ?? 100), 10_000);
      const offset = Math.max(0, filter.offset ?? 0);
      const views: JobView[] = [];
      if (!filter.state || filter.state === 'cancelled') {
        for (const v of Object.values(await this.redis.hgetall(this.cancelledKey)))
          views.push(JSON.parse(v) as JobView);
      }
      const types: JobType[] = [];
      const s = filter.state;
      if (!s || s === 'queued' || s === 'paused') types.push(...WAITING);
      if (!s || s === 'running') types.push('active');
      if (!s || s === 'succeeded') types.push('completed');
      if (!s || s === 'failed' || s === 'cancelled') types.push('failed');
      // Fetch enough to filter by name/state client-side (BullMQ lists by type only).
      const jobs = await this.queue.getJobs(types, 0, offset + limit * 4 - 1, false);
      for (const job of jobs) {
        const v = await this.toView(job, paused);
        if (v) views.push(v);
      }
      return views
        .filter((v) => (!filter.state || v.state === filter.state) && (!filter.name || v.name === filter.name))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(offset, offset + limit);
    });
  }

  async counts(): Promise<JobCounts> {
    return this.guard('counts', async () => {
      const c = await this.queue.getJobCounts(
        'waiting',
        'prioritized',
        'delayed',
        'waiting-children',
        'active',
        'completed',
        'failed',
      );
      const paused = await this.queue.isPaused();
      const waiting = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) + (c['waiting-children'] ?? 0);
      const cancelledBeforeStart = await this.redis.hlen(this.cancelledKey);
      const cancelledWhileRunning = await this.redis.scard(this.cancelRequestsKey);
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts;
      counts.queued = paused ? 0 : waiting;
      counts.paused = paused ? waiting : 0;
      counts.running = c.active ?? 0;
      counts.succeeded = c.completed ?? 0;
      counts.cancelled = cancelledBeforeStart + cancelledWhileRunning;
      counts.failed = Math.max(0, (c.failed ?? 0) - cancelledWhileRunning);
      return counts;
    });
  }

  async pause(): Promise<void> {
    await this.guard('pause', () => this.queue.pause());
  }

  async resume(): Promise<void> {
    await this.guard('resume', () => this.queue.resume());
  }

  async isPaused(): Promise<boolean> {
    return this.guard('isPaused', () => this.queue.isPaused());
  }

  async cancel(id: string): Promise<boolean> {
    return this.guard('cancel', async () => {
      const job = await this.queue.getJob(id);
      if (!job) {
        if (await this.redis.hexists(this.cancelledKey, id)) return false;
        throw new NotFoundError(`job ${id} not found`, { id });
      }
      const raw = await job.getState();
      if (raw === 'completed' || raw === 'failed') return false;
      if (raw === 'active') {
        await this.redis.sadd(this.cancelRequestsKey, id);
        return true;
      }
      const view = await this.toView(job, false);
      await job.remove();
      if (view) {
        const now = new Date().toISOString();
        await this.redis.hset(
          this.cancelledKey,
          id,
          JSON.stringify({ ...view, state: 'cancelled', finishedAt: now, updatedAt: now }),
        );
      }
      return true;
    });
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
