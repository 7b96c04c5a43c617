import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { sql, type Selectable } from 'kysely';
import { InvalidInputError, NotFoundError, newId } from '@tessera/common';
import { JOB_STATES, type Catalogue, type JobState, type JobsTable } from '@tessera/db';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobQueue } from './job-queue.port';
import { errorCode, errorMessage, isPermanentJobError, retryDelayMs } from './job-retry.policy';
import type {
  EnqueuedJob,
  EnqueueOptions,
  JobCounts,
  JobErrorEntry,
  JobItemError,
  JobListFilter,
  JobProgress,
  JobRunSnapshot,
  JobView,
} from './job.types';

export type JobRow = Selectable<JobsTable>;

export interface EmbeddedJobQueueOptions {
  /** When given, enqueue refuses names it does not accept. */
  registry?: JobHandlerRegistry;
  /** Milliseconds clock (tests inject a fake one). */
  clock?: () => number;
  /** A job interrupted more often than this (crashes, shutdowns) fails instead of looping. */
  maxInterruptions?: number;
  /** Extra time after lease expiry before taking a job whose owner process (same host) is still alive (default 10 min). */
  busyOwnerGraceMs?: number;
}

/** Identity of a worker holding jobs: unique per worker, with host and pid for crash detection. */
export interface JobOwner {
  id: string;
  host: string;
  pid: number;
}

const QUEUE_FLAG = 'default';
const ACTIVE: JobState[] = ['queued', 'running'];

function parse<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The durable queue inside the catalogue database. Every state change is a
 * single UPDATE guarded by the expected state (and owner), so two workers on the
 * same file never run one job twice and a late write from a worker that lost
 * its job changes nothing.
 */
export class EmbeddedJobQueue extends JobQueue {
  readonly backend = 'embedded' as const;
  /** `enqueued` (wake local workers) and `cancelled` (abort a local run at once). */
  readonly events = new EventEmitter().setMaxListeners(0);
  private readonly clock: () => number;
  private readonly maxInterruptions: number;
  private readonly busyOwnerGraceMs: number;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly options: EmbeddedJobQueueOptions = {},
  ) {
    super();
    this.clock = options.clock ?? Date.now;
    this.maxInterruptions = options.maxInterruptions ?? 5;
    this.busyOwnerGraceMs = options.busyOwnerGraceMs ?? 10 * 60_000;
  }

  private get db() {
    return this.catalogue.db;
  }

  now(): number {
    return this.clock();
  }

  private iso(ms = this.clock()): string {
    return new Date(ms).toISOString();
  }

  newOwner(): JobOwner {
    return { id: newId('worker'), host: hostname(), pid: process.pid };
  }

  async enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    this.options.registry?.assertAccepts(name);
    const maxAttempts = options.maxAttempts ?? 3;
    const backoffMs = options.backoffMs ?? 1000;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new InvalidInputError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
    if (!Number.isFinite(backoffMs) || backoffMs < 0)
      throw new InvalidInputError(`backoffMs must be >= 0, got ${backoffMs}`);
    const delayMs = options.delayMs ?? 0;
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new InvalidInputError(`delayMs must be >= 0, got ${delayMs}`);
    let payloadText: string | undefined;
    try {
      payloadText = JSON.stringify(payload ?? null);
    } catch (e) {
      throw new InvalidInputError(`job payload is not JSON-serialisable: ${errorMessage(e)}`, { name });
    }
    const now = this.clock();
    const id = newId('job');
    const row: Record<string, string | number | null> = {
      id,
      name,
      state: 'queued',
      payload: payloadText ?? 'null',
      errors: '[]',
      item_errors: '[]',
      item_error_count: 0,
      attempts: 0,
      max_attempts: maxAttempts,
      backoff_ms: Math.floor(backoffMs),
      interruptions: 0,
      dedupe_key: options.dedupeKey ?? null,
      run_at_ms: now + Math.floor(delayMs),
      created_at: this.iso(now),
      updated_at: this.iso(now),
    };
    const cols = Object.keys(row);
    // One INSERT ... SELECT ... WHERE NOT EXISTS statement: the dedupe check, the
    // sequence number and the insert are atomic without an explicit transaction
    // (a deferred SQLite transaction that reads first can fail to upgrade to a write
    // when another process enqueues at the same time).
    const dedupe = options.dedupeKey
      ? sql`where not exists (select 1 from jobs where dedupe_key = ${options.dedupeKey} and state in ('queued', 'running'))`
      : sql``;
    const res = await sql`insert into jobs (${sql.join(cols.map((c) => sql.ref(c)))}, seq)
      select ${sql.join(cols.map((c) => sql`${row[c]}`))}, (select coalesce(max(seq), 0) + 1 from jobs) ${dedupe}`.execute(
      this.db,
    );
    if (Number(res.numAffectedRows ?? 0n) === 0 && options.dedupeKey) {
      const existing = await this.db
        .selectFrom('jobs')
        .select(['id'])
        .where('dedupe_key', '=', options.dedupeKey)
        .where('state', 'in', ACTIVE)
        .orderBy('seq', 'desc')
        .executeTakeFirst();
      if (existing) return { id: existing.id, name, deduplicated: true };
      // The active job finished between the two statements: enqueue afresh.
      return this.enqueue(name, payload, options);
    }
    this.events.emit('enqueued', name);
    return { id, name, deduplicated: false };
  }

  async isPaused(): Promise<boolean> {
    const r = await this.db
      .selectFrom('job_queue_flags')
      .select('paused')
      .where('queue', '=', QUEUE_FLAG)
      .executeTakeFirst();
    return (r?.paused ?? 0) === 1;
  }

  private async setPaused(paused: boolean): Promise<void> {
    await this.db
      .insertInto('job_queue_flags')
      .values({ queue: QUEUE_FLAG, paused: paused ? 1 : 0, updated_at: this.iso() })
      .onConflict((oc) => oc.column('queue').doUpdateSet({ paused: paused ? 1 : 0, updated_at: this.iso() }))
      .execute();
  }

  async pause(): Promise<void> {
    await this.setPaused(true);
  }

  async resume(): Promise<void> {
    await this.setPaused(false);
    this.events.emit('enqueued', '*');
  }

  /** While paused, waiting jobs read as `paused`; stored state stays `queued` so crash recovery needs no special case. */
  private view(row: JobRow, paused: boolean): JobView {
    const state: JobState = row.state === 'queued' && paused ? 'paused' : row.state;
    return {
      id: row.id,
      name: row.name,
      state,
      payload: parse(row.payload, null),
      progress: parse<JobProgress | null>(row.progress, null),
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      errors: parse<JobErrorEntry[]>(row.errors, []),
      items: parse<JobItemError[]>(row.item_errors, []),
      itemErrorCount: Number(row.item_error_count ?? 0),
      result: parse(row.result, null),
      dedupeKey: row.dedupe_key,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      runAt: this.iso(Number(row.run_at_ms)),
    };
  }

  async get<P = unknown, R = unknown>(id: string): Promise<JobView<P, R> | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? (this.view(row, await this.isPaused()) as JobView<P, R>) : undefined;
  }

  async list(filter: JobListFilter = {}): Promise<JobView[]> {
    if (filter.state && !JOB_STATES.includes(filter.state))
      throw new InvalidInputError(`unknown job state ${filter.state}`);
    const paused = await this.isPaused();
    let q = this.db.selectFrom('jobs').selectAll();
    if (filter.state === 'paused') {
      if (!paused) return [];
      q = q.where('state', '=', 'queued');
    } else if (filter.state === 'queued') {
      if (paused) return [];
      q = q.where('state', '=', 'queued');
    } else if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.name) q = q.where('name', '=', filter.name);
    const limit = Math.min(Math.max(1, filter.limit ?? 100), 10_000);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(limit)
      .offset(Math.max(0, filter.offset ?? 0))
      .execute();
    return rows.map((r) => this.view(r, paused));
  }

  async counts(): Promise<JobCounts> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as JobCounts;
    for (const r of rows) counts[r.state] = Number(r.n);
    if (await this.isPaused()) {
      counts.paused += counts.queued;
      counts.queued = 0;
    }
    return counts;
  }

  async cancel(id: string): Promise<boolean> {
    const now = this.iso();
    const res = await this.db
      .updateTable('jobs')
      .set({ state: 'cancelled', finished_at: now, updated_at: now, owner: null, lease_until_ms: null })
      .where('id', '=', id)
      .where('state', 'in', ACTIVE)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) {
      this.events.emit('cancelled', id);
      return true;
    }
    const exists = await this.db.selectFrom('jobs').select('id').where('id', '=', id).executeTakeFirst();
    if (!exists) throw new NotFoundError(`job ${id} not found`, { id });
    return false;
  }

  /** Delete finished jobs (succeeded, failed, cancelled) that finished before `finishedBefore`. Returns how many. */
  async purgeFinished(
    finishedBefore: Date,
    states: JobState[] = ['succeeded', 'failed', 'cancelled'],
  ): Promise<number> {
    const finished = states.filter((st) => st === 'succeeded' || st === 'failed' || st === 'cancelled');
    if (finished.length === 0) return 0;
    const res = await this.db
      .deleteFrom('jobs')
      .where('state', 'in', finished)
      .where('finished_at', '<', finishedBefore.toISOString())
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }

  // ---- worker side -------------------------------------------------------

  /** Atomically take the next due job among `names`, or undefined. Does nothing while paused. */
  async claim(names: readonly string[], owner: JobOwner, leaseMs: number): Promise<JobRow | undefined> {
    if (names.length === 0 || (await this.isPaused())) return undefined;
    const now = this.clock();
    const row = await this.db
      .updateTable('jobs')
      .set({
        state: 'running',
        owner: owner.id,
        owner_host: owner.host,
        owner_pid: owner.pid,
        lease_until_ms: now + leaseMs,
        attempts: sql<number>`attempts + 1`,
        started_at: sql<string>`coalesce(started_at, ${this.iso(now)})`,
        updated_at: this.iso(now),
      })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('state', '=', 'queued')
          .where('run_at_ms', '<=', now)
          .where('name', 'in', [...names])
          .orderBy('run_at_ms')
          .orderBy('seq')
          .limit(1),
      )
      .where('state', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row;
  }

  /** Extend the lease; false when the job is no longer ours (cancelled, reclaimed). */
  async heartbeat(id: string, owner: JobOwner, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    const res = await this.db
      .updateTable('jobs')
      .set({ lease_until_ms: now + leaseMs })
      .where('id', '=', id)
      .where('owner', '=', owner.id)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Persist progress, item errors and (when given) the checkpoint; false when the job is no longer ours. */
  async saveRunState(
    id: string,
    owner: JobOwner,
    state: { progress?: JobProgress | null; items?: JobItemError[]; itemErrorCount?: number; checkpoint?: unknown },
  ): Promise<boolean> {
    const set: Partial<JobsTable> = { updated_at: this.iso() };
    if (state.progress !== undefined) set.progress = state.progress === null ? null : JSON.stringify(state.progress);
    if (state.items !== undefined) set.item_errors = JSON.stringify(state.items);
    if (state.itemErrorCount !== undefined) set.item_error_count = state.itemErrorCount;
    if (state.checkpoint !== undefined) set.checkpoint = JSON.stringify(state.checkpoint);
    const res = await this.db
      .updateTable('jobs')
      .set(set)
      .where('id', '=', id)
      .where('owner', '=', owner.id)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async complete(row: JobRow, owner: JobOwner, result: unknown, final: JobRunSnapshot): Promise<boolean> {
    const now = this.iso();
    let resultText: string;
    try {
      resultText = JSON.stringify(result ?? null);
    } catch {
      resultText = JSON.stringify({ unserialisable: true });
    }
    const res = await this.db
      .updateTable('jobs')
      .set({
        state: 'succeeded',
        result: resultText,
        progress: final.progress === null ? null : JSON.stringify(final.progress),
        item_errors: JSON.stringify(final.items),
        item_error_count: final.itemErrorCount,
        owner: null,
        lease_until_ms: null,
        finished_at: now,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .where('owner', '=', owner.id)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Record a failed attempt: retried with exponential backoff while attempts
   * remain and the error is not permanent (InvalidInputError), else failed.
   */
  async fail(
    row: JobRow,
    owner: JobOwner,
    error: unknown,
    final: JobRunSnapshot,
  ): Promise<{ state: JobState; retryAtMs?: number } | undefined> {
    const nowMs = this.clock();
    const now = this.iso(nowMs);
    const permanent = isPermanentJobError(error);
    const willRetry = !permanent && row.attempts < row.max_attempts;
    const errors = parse<JobErrorEntry[]>(row.errors, []);
    errors.push({ attempt: row.attempts, at: now, code: errorCode(error), message: errorMessage(error), willRetry });
    const retryAtMs = willRetry ? nowMs + retryDelayMs(Number(row.backoff_ms), row.attempts) : undefined;
    const res = await this.db
      .updateTable('jobs')
      .set({
        state: willRetry ? 'queued' : 'failed',
        errors: JSON.stringify(errors),
        progress: final.progress === null ? null : JSON.stringify(final.progress),
        item_errors: JSON.stringify(final.items),
        item_error_count: final.itemErrorCount,
        owner: null,
        lease_until_ms: null,
        run_at_ms: retryAtMs ?? Number(row.run_at_ms),
        finished_at: willRetry ? null : now,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .where('owner', '=', owner.id)
      .where('state', '=', 'running')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return undefined;
    return { state: willRetry ? 'queued' : 'failed', retryAtMs };
  }

  /**
   * Put a job we hold back in the queue without spending an attempt (shutdown,
   * or recovery of a dead owner). Too many interruptions fail it instead.
   */
  async release(row: JobRow, ownerId: string, reason: string, final?: JobRunSnapshot): Promise<JobState | undefined> {
    const nowMs = this.clock();
    const now = this.iso(nowMs);
    const interruptions = row.interruptions + 1;
    const giveUp = interruptions > this.maxInterruptions;
    const errors = parse<JobErrorEntry[]>(row.errors, []);
    errors.push({
      attempt: row.attempts,
      at: now,
      code: 'interrupted',
      message: giveUp ? `${reason}; interrupted ${interruptions} times, giving up` : reason,
      willRetry: !giveUp,
    });
    const set: Partial<JobsTable> = {
      state: giveUp ? 'failed' : 'queued',
      errors: JSON.stringify(errors),
      attempts: giveUp ? row.attempts : Math.max(0, row.attempts - 1),
      interruptions,
      owner: null,
      owner_host: null,
      owner_pid: null,
      lease_until_ms: null,
      run_at_ms: nowMs,
      finished_at: giveUp ? now : null,
      updated_at: now,
    };
    if (final) {
      set.progress = final.progress === null ? null : JSON.stringify(final.progress);
      set.item_errors = JSON.stringify(final.items);
      set.item_error_count = final.itemErrorCount;
    }
    const res = await this.db
      .updateTable('jobs')
      .set(set)
      .where('id', '=', row.id)
      .where('owner', '=', ownerId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return undefined;
    this.events.emit('enqueued', row.name);
    return giveUp ? 'failed' : 'queued';
  }

  /**
   * Requeue running jobs whose worker is gone: lease expired, or (same host) the
   * owner process no longer exists. Returns the ids put back.
   */
  async recoverInterrupted(self?: JobOwner): Promise<string[]> {
    const now = this.clock();
    const here = hostname();
    const rows = await this.db.selectFrom('jobs').selectAll().where('state', '=', 'running').execute();
    const recovered: string[] = [];
    for (const row of rows) {
      if (!row.owner || row.owner === self?.id) continue;
      const leaseUntil = row.lease_until_ms === null ? 0 : Number(row.lease_until_ms);
      const sameHost = row.owner_host === here && row.owner_pid !== null && row.owner_pid !== process.pid;
      const ownerDead = sameHost && !pidAlive(row.owner_pid as number);
      // A live process on this host that missed heartbeats is most likely busy (a long
      // synchronous step), not gone: give it `busyOwnerGraceMs` before taking its job.
      const ownerAlive = sameHost && !ownerDead;
      const leaseExpired = leaseUntil + (ownerAlive ? this.busyOwnerGraceMs : 0) < now;
      if (!leaseExpired && !ownerDead) continue;
      const why = ownerDead
        ? `worker process ${row.owner_pid} on ${here} died`
        : `worker ${row.owner} stopped renewing its lease`;
      const state = await this.release(row, row.owner, `interrupted: ${why}`);
      if (state) recovered.push(row.id);
    }
    return recovered;
  }

  /** The earliest run_at among queued jobs with these names (lets a worker sleep until then). */
  async nextDueAt(names: readonly string[]): Promise<number | undefined> {
    if (names.length === 0) return undefined;
    const r = await this.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.min<number | null>('run_at_ms').as('next'))
      .where('state', '=', 'queued')
      .where('name', 'in', [...names])
      .executeTakeFirst();
    return r?.next == null ? undefined : Number(r.next);
  }
}
