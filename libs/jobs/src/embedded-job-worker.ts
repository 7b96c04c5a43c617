import { Logger } from '@nestjs/common';
import { ConflictError, InvalidInputError } from '@tessera/common';
import { EmbeddedJobQueue, type JobOwner, type JobRow } from './embedded-job-queue.repository';
import { JobHandlerRegistry } from './job-handler.registry';
import { errorCode, errorMessage } from './job-retry.policy';
import { JobWorker } from './job-worker.port';
import type { JobContext, JobItemError, JobProgress } from './job.types';

export interface EmbeddedJobWorkerOptions {
  /** Jobs run at once by this worker (default 1). */
  concurrency?: number;
  /** Idle poll interval; local enqueues wake the worker at once (default 500 ms). */
  pollIntervalMs?: number;
  /** Lease length; a worker silent this long is presumed dead (default 30 s). */
  leaseMs?: number;
  /** Lease renewal interval (default leaseMs / 3). */
  heartbeatMs?: number;
  /** Progress is written at most this often (default 500 ms); checkpoints always at once. */
  progressWriteMs?: number;
  /** How often to look for jobs of dead workers (default leaseMs). */
  recoverEveryMs?: number;
  /** Default grace for stop(). */
  shutdownGraceMs?: number;
  /** Per-item errors kept in a job's report (default 1000); more are only counted. */
  maxItemErrors?: number;
}

interface ActiveRun {
  row: JobRow;
  controller: AbortController;
  lost: boolean;
  shuttingDown: boolean;
  done: Promise<void>;
}

function parse<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Runs handlers from a JobHandlerRegistry against the embedded queue. */
export class EmbeddedJobWorker extends JobWorker {
  private readonly logger = new Logger(EmbeddedJobWorker.name);
  private readonly owner: JobOwner;
  private readonly active = new Map<string, ActiveRun>();
  private started = false;
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private sleepTimer?: NodeJS.Timeout;
  private lastRecoverAt = 0;
  private readonly opts: Required<EmbeddedJobWorkerOptions>;
  private wakeRequested = false;
  private readonly onEnqueued = () => {
    this.wakeRequested = true;
    this.wake?.();
  };

  constructor(
    private readonly queue: EmbeddedJobQueue,
    private readonly registry: JobHandlerRegistry,
    options: EmbeddedJobWorkerOptions = {},
  ) {
    super();
    const leaseMs = options.leaseMs ?? 30_000;
    this.opts = {
      concurrency: Math.max(1, options.concurrency ?? 1),
      pollIntervalMs: options.pollIntervalMs ?? 500,
      leaseMs,
      heartbeatMs: options.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 3)),
      progressWriteMs: options.progressWriteMs ?? 500,
      recoverEveryMs: options.recoverEveryMs ?? leaseMs,
      shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
      maxItemErrors: options.maxItemErrors ?? 1000,
    };
    this.owner = queue.newOwner();
  }

  get running(): boolean {
    return this.started && !this.stopping;
  }

  get ownerId(): string {
    return this.owner.id;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.queue.events.on('enqueued', this.onEnqueued);
    await this.recover();
    this.loop = this.runLoop();
    this.logger.log({
      msg: 'job worker started',
      owner: this.owner.id,
      handlers: this.registry.names(),
      concurrency: this.opts.concurrency,
    });
  }

  /**
   * Claim and run due jobs one after another until none is due (no polling, no
   * timers besides heartbeats). For tests and one-shot CLI runs.
   */
  async runUntilIdle(): Promise<number> {
    let n = 0;
    await this.recover();
    for (;;) {
      const row = await this.queue.claim(this.registry.names(), this.owner, this.opts.leaseMs);
      if (!row) return n;
      n++;
      await this.execute(row);
    }
  }

  private async recover(): Promise<void> {
    this.lastRecoverAt = Date.now();
    const ids = await this.queue.recoverInterrupted(this.owner);
    if (ids.length > 0) this.logger.warn({ msg: 'requeued jobs of dead workers', jobIds: ids });
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (Date.now() - this.lastRecoverAt >= this.opts.recoverEveryMs) await this.recover();
        let claimed = false;
        while (!this.stopping && this.active.size < this.opts.concurrency) {
          const row = await this.queue.claim(this.registry.names(), this.owner, this.opts.leaseMs);
          if (!row) break;
          claimed = true;
          const run = this.startRun(row);
          run.done.finally(() => this.onEnqueued());
        }
        if (claimed && this.active.size < this.opts.concurrency) continue;
      } catch (e) {
        this.logger.error({ msg: 'job worker loop error', error: errorMessage(e) });
      }
      if (this.stopping) break;
      await this.sleep(await this.sleepMs());
    }
  }

  private async sleepMs(): Promise<number> {
    if (this.active.size >= this.opts.concurrency) return this.opts.pollIntervalMs;
    try {
      // Paused: due jobs stay due, so only the poll interval makes sense.
      if (await this.queue.isPaused()) return this.opts.pollIntervalMs;
      const next = await this.queue.nextDueAt(this.registry.names());
      if (next !== undefined) return Math.max(1, Math.min(this.opts.pollIntervalMs, next - this.queue.now()));
    } catch {
      /* fall back to the poll interval */
    }
    return this.opts.pollIntervalMs;
  }

  private sleep(ms: number): Promise<void> {
    // An enqueue that happened while we were busy must not wait a whole poll interval.
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        this.wakeRequested = false;
        clearTimeout(this.sleepTimer);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      this.sleepTimer = setTimeout(done, ms);
    });
  }

  private startRun(row: JobRow): ActiveRun {
    const run: ActiveRun = {
      row,
      controller: new AbortController(),
      lost: false,
      shuttingDown: false,
      done: Promise.resolve(),
    };
    this.active.set(row.id, run);
    run.done = this.execute(row, run).finally(() => this.active.delete(row.id));
    return run;
  }

  private async execute(row: JobRow, existing?: ActiveRun): Promise<void> {
    const run = existing ?? {
      row,
      controller: new AbortController(),
      lost: false,
      shuttingDown: false,
      done: Promise.resolve(),
    };
    if (!existing) this.active.set(row.id, run);
    const handler = this.registry.get(row.name);
    let progress: JobProgress | null = parse<JobProgress | null>(row.progress, null);
    const items: JobItemError[] = parse<JobItemError[]>(row.item_errors, []);
    let itemErrorCount = Math.max(Number(row.item_error_count ?? 0), items.length);
    let checkpoint: unknown = parse<unknown>(row.checkpoint, undefined);
    let lastProgressWrite = 0;
    let progressDirty = false;
    const started = Date.now();

    const markLost = () => {
      if (!run.lost) {
        run.lost = true;
        run.controller.abort(
          new ConflictError(`job ${row.id} is no longer held by this worker (cancelled or reclaimed)`),
        );
      }
    };
    // A cancel from this process aborts at once; from another, at the next heartbeat.
    const onCancelled = (id: string) => {
      if (id === row.id) markLost();
    };
    this.queue.events.on('cancelled', onCancelled);
    const heartbeat = setInterval(() => {
      this.queue.heartbeat(row.id, this.owner, this.opts.leaseMs).then(
        (ok) => (ok ? undefined : markLost()),
        (e) => this.logger.warn({ msg: 'heartbeat failed', jobId: row.id, error: errorMessage(e) }),
      );
    }, this.opts.heartbeatMs);
    heartbeat.unref?.();

    const persist = async (withCheckpoint: boolean) => {
      const ok = await this.queue.saveRunState(row.id, this.owner, {
        progress,
        items,
        itemErrorCount,
        ...(withCheckpoint ? { checkpoint: checkpoint ?? null } : {}),
      });
      progressDirty = false;
      lastProgressWrite = Date.now();
      if (!ok) markLost();
      return ok;
    };

    const ctx: JobContext = {
      jobId: row.id,
      name: row.name,
      payload: parse<unknown>(row.payload, null),
      attempt: row.attempts,
      checkpoint,
      resumed: row.attempts > 1 || row.interruptions > 0 || checkpoint !== undefined,
      signal: run.controller.signal,
      reportProgress: async (done, total, stage) => {
        if (!Number.isFinite(done) || !Number.isFinite(total))
          throw new InvalidInputError('progress done/total must be finite numbers');
        progress = { done, total, ...(stage !== undefined ? { stage } : {}) };
        progressDirty = true;
        if (Date.now() - lastProgressWrite >= this.opts.progressWriteMs || done >= total) await persist(false);
      },
      reportItemError: async (ref, error) => {
        const entry: JobItemError = {
          ref: String(ref),
          error: errorMessage(error),
          code: errorCode(error),
          attempt: row.attempts,
        };
        const at = items.findIndex((i) => i.ref === entry.ref);
        if (at >= 0) items[at] = entry;
        else {
          itemErrorCount++;
          // Past the cap the report only counts: a job over a million bad rows stays small.
          if (items.length < this.opts.maxItemErrors) items.push(entry);
          else if (itemErrorCount % 100 !== 0) return;
        }
        await persist(false);
      },
      saveCheckpoint: async (value) => {
        checkpoint = value === undefined ? null : JSON.parse(JSON.stringify(value));
        if (!(await persist(true))) throw run.controller.signal.reason;
      },
    };

    try {
      if (!handler) throw new InvalidInputError(`no processor handles job "${row.name}" in this worker`);
      const result = await handler(ctx as JobContext<never>);
      if (run.lost) return;
      if (progressDirty) await persist(false);
      if (await this.queue.complete(row, this.owner, result, { progress, items, itemErrorCount })) {
        this.logger.log({
          msg: 'job succeeded',
          jobId: row.id,
          name: row.name,
          attempt: row.attempts,
          durationMs: Date.now() - started,
          itemErrors: itemErrorCount,
        });
      }
    } catch (e) {
      if (run.lost) return;
      if (run.shuttingDown) {
        await this.queue.release(row, this.owner.id, 'interrupted: worker shut down', {
          progress,
          items,
          itemErrorCount,
        });
        this.logger.warn({ msg: 'job released on shutdown', jobId: row.id, name: row.name });
        return;
      }
      const outcome = await this.queue.fail(row, this.owner, e, { progress, items, itemErrorCount });
      if (outcome) {
        this.logger.warn({
          msg: outcome.state === 'queued' ? 'job attempt failed; will retry' : 'job failed',
          jobId: row.id,
          name: row.name,
          attempt: row.attempts,
          error: errorMessage(e),
          retryAt: outcome.retryAtMs ? new Date(outcome.retryAtMs).toISOString() : undefined,
        });
      }
    } finally {
      clearInterval(heartbeat);
      this.queue.events.off('cancelled', onCancelled);
      if (!existing) this.active.delete(row.id);
    }
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    this.wake?.();
    await this.loop;
    const grace = options.graceMs ?? this.opts.shutdownGraceMs;
    const runs = [...this.active.values()];
    if (runs.length > 0) {
      this.logger.log({ msg: 'waiting for running jobs', jobIds: runs.map((r) => r.row.id), graceMs: grace });
      const all = Promise.all(runs.map((r) => r.done));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), grace);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        for (const r of this.active.values()) {
          r.shuttingDown = true;
          r.controller.abort(new Error('worker shutting down'));
        }
        // Give handlers a moment to notice the signal; anyone still running is released.
        await Promise.race([all, new Promise((r) => setTimeout(r, Math.min(2000, grace)))]);
        for (const r of this.active.values()) {
          r.lost = true;
          await this.queue.release(r.row, this.owner.id, 'interrupted: worker shut down before the job finished');
        }
      }
    }
    this.queue.events.off('enqueued', this.onEnqueued);
    this.started = false;
    this.logger.log({ msg: 'job worker stopped', owner: this.owner.id });
  }
}
