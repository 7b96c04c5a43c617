import { Logger } from '@nestjs/common';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BullmqJobQueue } from './bullmq-job-queue.repository';
import { readRunState } from './bullmq-run-state';
import { JobHandlerRegistry } from './job-handler.registry';
import { errorCode, errorMessage, isPermanentJobError } from './job-retry.policy';
import { JobWorker } from './job-worker.port';
import type { JobContext, JobItemError } from './job.types';

export interface BullmqJobWorkerOptions {
  concurrency?: number;
  /** BullMQ lock duration; a worker silent this long has its job moved back to wait (default 30 s). */
  leaseMs?: number;
  /** How often BullMQ looks for jobs of dead workers (default leaseMs). */
  stalledIntervalMs?: number;
  /** How often running jobs are checked for cancellation requests (default 1 s). */
  cancelPollMs?: number;
  /** A job stalled (worker died) more often than this fails (default 5). */
  maxInterruptions?: number;
  shutdownGraceMs?: number;
  /** Per-item errors kept in a job's report (default 1000); more are only counted. */
  maxItemErrors?: number;
}

/** Runs registered processors on BullMQ with the same context as the embedded worker. */
export class BullmqJobWorker extends JobWorker {
  private readonly logger = new Logger(BullmqJobWorker.name);
  private worker?: Worker;
  private connection?: Redis;
  private cancelPoll?: NodeJS.Timeout;
  private readonly active = new Set<string>();
  private readonly cancelled = new Set<string>();

  constructor(
    private readonly queue: BullmqJobQueue,
    private readonly registry: JobHandlerRegistry,
    private readonly options: BullmqJobWorkerOptions = {},
  ) {
    super();
  }

  get running(): boolean {
    return this.worker?.isRunning() ?? false;
  }

  async start(): Promise<void> {
    if (this.worker) return;
    // BullMQ workers block on Redis and need unlimited retries per request.
    this.connection = new Redis(this.queue.redisUrl, { maxRetriesPerRequest: null });
    this.worker = new Worker(this.queue.queueName, (job, _token, signal) => this.process(job, signal), {
      connection: this.connection,
      concurrency: this.options.concurrency ?? 1,
      lockDuration: this.options.leaseMs ?? 30_000,
      stalledInterval: this.options.stalledIntervalMs ?? this.options.leaseMs ?? 30_000,
      maxStalledCount: this.options.maxInterruptions ?? 5,
      autorun: false,
    });
    this.worker.on('error', (e) => this.logger.error({ msg: 'bullmq worker error', error: errorMessage(e) }));
    void this.worker.run();
    await this.worker.waitUntilReady();
    this.cancelPoll = setInterval(() => void this.pollCancellations(), this.options.cancelPollMs ?? 1000);
    this.cancelPoll.unref?.();
    this.logger.log({ msg: 'bullmq worker started', queue: this.queue.queueName, handlers: this.registry.names() });
  }

  private async pollCancellations(): Promise<void> {
    if (this.active.size === 0 || !this.worker) return;
    try {
      const requested = new Set(await this.queue.redis.smembers(this.queue.cancelRequestsKey));
      for (const id of this.active) {
        if (requested.has(id) && !this.cancelled.has(id)) {
          this.cancelled.add(id);
          this.worker.cancelJob(id, 'cancelled');
        }
      }
    } catch (e) {
      this.logger.warn({ msg: 'cancel poll failed', error: errorMessage(e) });
    }
  }

  private async process(job: Job, signal?: AbortSignal): Promise<unknown> {
    const handler = this.registry.get(job.name);
    if (!handler) throw new UnrecoverableError(`no processor handles job "${job.name}" in this worker`);
    const id = job.id as string;
    this.active.add(id);
    const state = readRunState(job.progress);
    const attempt = job.attemptsMade + 1;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let lastWrite = 0;
    const write = async () => {
      lastWrite = Date.now();
      await job.updateProgress(state as unknown as object);
    };
    const ctx: JobContext = {
      jobId: id,
      name: job.name,
      payload: (job.data as { payload?: unknown })?.payload ?? null,
      attempt,
      checkpoint: state.checkpoint,
      resumed: job.attemptsMade > 0 || job.stalledCounter > 0 || state.checkpoint !== undefined,
      signal: controller.signal,
      reportProgress: async (done, total, stage) => {
        state.progress = { done, total, ...(stage !== undefined ? { stage } : {}) };
        if (Date.now() - lastWrite >= 500 || done >= total) await write();
      },
      reportItemError: async (ref, error) => {
        const entry: JobItemError = { ref: String(ref), error: errorMessage(error), code: errorCode(error), attempt };
        const at = state.items.findIndex((i) => i.ref === entry.ref);
        if (at >= 0) state.items[at] = entry;
        else {
          state.itemErrorCount++;
          if (state.items.length < (this.options.maxItemErrors ?? 1000)) state.items.push(entry);
          else if (state.itemErrorCount % 100 !== 0) return;
        }
        await write();
      },
      saveCheckpoint: async (value) => {
        state.checkpoint = value === undefined ? null : JSON.parse(JSON.stringify(value));
        await write();
      },
    };
    try {
      const result = await handler(ctx as JobContext<never>);
      await write();
      return result ?? null;
    } catch (e) {
      const isCancel = this.cancelled.has(id);
      const permanent = isCancel || isPermanentJobError(e);
      const maxAttempts = job.opts.attempts ?? 1;
      state.errors.push({
        attempt,
        at: new Date().toISOString(),
        code: isCancel ? 'cancelled' : errorCode(e),
        message: isCancel ? 'cancelled' : errorMessage(e),
        willRetry: !permanent && attempt < maxAttempts,
      });
      await write().catch(() => undefined);
      if (isCancel) throw new UnrecoverableError('cancelled');
      // InvalidInputError will fail again: tell BullMQ not to retry.
      if (permanent) throw new UnrecoverableError(errorMessage(e));
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.active.delete(id);
      this.cancelled.delete(id);
    }
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.worker) return;
    clearInterval(this.cancelPoll);
    const worker = this.worker;
    this.worker = undefined;
    const grace = options.graceMs ?? this.options.shutdownGraceMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const closedInTime = await Promise.race([
      worker.close().then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), grace);
      }),
    ]);
    clearTimeout(timer);
    if (!closedInTime) {
      // Abandon the running jobs: their locks lapse and BullMQ's stalled check requeues them.
      worker.cancelAllJobs('worker shutting down');
      await worker.close(true).catch(() => undefined);
    }
    this.connection?.disconnect();
    this.connection = undefined;
  }
}
