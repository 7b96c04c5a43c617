import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError, UpstreamUnavailableError } from '@tessera/common';
import { Catalogue, CatalogueHealthProbe, openCatalogue } from '@tessera/db';
import { JobQueueHealthProbe } from './job-queue-health.probe';
import { EmbeddedJobQueue } from './embedded-job-queue.repository';
import { EmbeddedJobWorker } from './embedded-job-worker';
import { JobHandlerRegistry } from './job-handler.registry';
import type { JobContext } from './job.types';

describe('EmbeddedJobQueue + EmbeddedJobWorker', () => {
  let catalogue: Catalogue;
  let registry: JobHandlerRegistry;
  let queue: EmbeddedJobQueue;
  let worker: EmbeddedJobWorker;
  let now: number;

  const handle = <P>(name: string, fn: (ctx: JobContext<P>) => unknown) => registry.register(name, fn, `test:${name}`);

  beforeEach(async () => {
    catalogue = await openCatalogue(':memory:');
    registry = new JobHandlerRegistry();
    now = Date.UTC(2026, 10, 25, 12, 0, 0);
    queue = new EmbeddedJobQueue(catalogue, { registry, clock: () => now, maxInterruptions: 2 });
    worker = new EmbeddedJobWorker(queue, registry, { progressWriteMs: 0, leaseMs: 60_000 });
  });
  afterEach(async () => {
    await worker.stop({ graceMs: 100 });
    await catalogue.close();
  });

  it('runs a job to success with progress, per-item errors and a result', async () => {
    handle('demo.items', async (ctx: JobContext<{ refs: string[] }>) => {
      let ok = 0;
      for (const [i, ref] of ctx.payload.refs.entries()) {
        if (ref.startsWith('bad')) await ctx.reportItemError(ref, new InvalidInputError(`cannot decode ${ref}`));
        else ok++;
        await ctx.reportProgress(i + 1, ctx.payload.refs.length, 'decode');
      }
      return { ok };
    });
    const { id, deduplicated } = await queue.enqueue('demo.items', { refs: ['a', 'bad-1', 'b', 'bad-2'] });
    expect(deduplicated).toBe(false);
    expect((await queue.get(id))?.state).toBe('queued');
    expect(await worker.runUntilIdle()).toBe(1);
    const job = await queue.get(id);
    expect(job).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      result: { ok: 2 },
      progress: { done: 4, total: 4, stage: 'decode' },
      errors: [],
    });
    expect(job?.items).toEqual([
      { ref: 'bad-1', error: 'cannot decode bad-1', code: 'invalid_input', attempt: 1 },
      { ref: 'bad-2', error: 'cannot decode bad-2', code: 'invalid_input', attempt: 1 },
    ]);
    expect(job?.itemErrorCount).toBe(2);
    expect(job?.finishedAt).not.toBeNull();
    expect(await queue.counts()).toMatchObject({ succeeded: 1, queued: 0, running: 0 });
    expect(await queue.purgeFinished(new Date(now - 1))).toBe(0);
    expect(await queue.purgeFinished(new Date(now + 1))).toBe(1);
    expect(await queue.get(id)).toBeUndefined();
  });

  it('keeps at most maxItemErrors per-item errors in the report but counts them all', async () => {
    const capped = new EmbeddedJobWorker(queue, registry, { progressWriteMs: 0, maxItemErrors: 3 });
    handle('many.bad', async (ctx) => {
      for (let i = 0; i < 250; i++) await ctx.reportItemError(`row-${i}`, new InvalidInputError(`bad row ${i}`));
      await ctx.reportItemError('row-0', new InvalidInputError('bad row 0 again')); // same ref: replaced, not counted
      return 'ok';
    });
    const { id } = await queue.enqueue('many.bad', {});
    await capped.runUntilIdle();
    const job = await queue.get(id);
    expect(job?.items.map((i) => i.ref)).toEqual(['row-0', 'row-1', 'row-2']);
    expect(job?.items[0].error).toBe('bad row 0 again');
    expect(job?.itemErrorCount).toBe(250);
  });

  it('refuses job names nobody handles, bad options and unserialisable payloads', async () => {
    handle('known', () => 1);
    registry.declareExternal('elsewhere');
    await expect(queue.enqueue('unknown.job', {})).rejects.toBeInstanceOf(InvalidInputError);
    await expect(queue.enqueue('unknown.job', {})).rejects.toThrow(
      /no processor handles job "unknown.job" \(known: elsewhere, known\)/,
    );
    await expect(queue.enqueue('known', {}, { maxAttempts: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(queue.enqueue('known', cyclic)).rejects.toBeInstanceOf(InvalidInputError);
    const ext = await queue.enqueue('elsewhere', { x: 1 });
    expect((await queue.get(ext.id))?.name).toBe('elsewhere');
    // Not handled here, so this worker leaves it alone.
    expect(await worker.runUntilIdle()).toBe(0);
  });

  it('deduplicates by key while a job is active, not after it finished', async () => {
    handle('dedupe', () => 'done');
    const a = await queue.enqueue('dedupe', { n: 1 }, { dedupeKey: 'item_1' });
    const b = await queue.enqueue('dedupe', { n: 2 }, { dedupeKey: 'item_1' });
    expect(b).toEqual({ id: a.id, name: 'dedupe', deduplicated: true });
    await worker.runUntilIdle();
    const c = await queue.enqueue('dedupe', { n: 3 }, { dedupeKey: 'item_1' });
    expect(c.id).not.toBe(a.id);
    expect(c.deduplicated).toBe(false);
  });

  it('retries retryable errors with exponential backoff, then succeeds', async () => {
    let calls = 0;
    handle('flaky', async (ctx) => {
      calls++;
      if (ctx.attempt < 3) throw new UpstreamUnavailableError(`qdrant down (attempt ${ctx.attempt})`);
      return { attempt: ctx.attempt, resumed: ctx.resumed };
    });
    const t0 = now;
    const { id } = await queue.enqueue('flaky', {}, { maxAttempts: 5, backoffMs: 100 });
    expect(await worker.runUntilIdle()).toBe(1);
    let job = await queue.get(id);
    expect(job?.state).toBe('queued');
    expect(job?.runAt).toBe(new Date(t0 + 100).toISOString());
    expect(await worker.runUntilIdle()).toBe(0); // not due yet
    now += 100;
    expect(await worker.runUntilIdle()).toBe(1);
    job = await queue.get(id);
    expect(job?.runAt).toBe(new Date(t0 + 100 + 200).toISOString()); // doubled
    now += 200;
    await worker.runUntilIdle();
    job = await queue.get(id);
    expect(calls).toBe(3);
    expect(job?.state).toBe('succeeded');
    expect(job?.result).toEqual({ attempt: 3, resumed: true });
    expect(job?.errors.map((e) => [e.attempt, e.code, e.willRetry])).toEqual([
      [1, 'upstream_unavailable', true],
      [2, 'upstream_unavailable', true],
    ]);
  });

  it('fails at once on InvalidInputError and after maxAttempts on other errors', async () => {
    handle('bad.input', () => {
      throw new InvalidInputError('payload.url is not a URL');
    });
    handle('always.broken', () => {
      throw new Error('disk on fire');
    });
    const bad = await queue.enqueue('bad.input', {}, { maxAttempts: 5 });
    const broken = await queue.enqueue('always.broken', {}, { maxAttempts: 2, backoffMs: 0 });
    await worker.runUntilIdle();
    await worker.runUntilIdle();
    const b = await queue.get(bad.id);
    expect(b).toMatchObject({ state: 'failed', attempts: 1 });
    expect(b?.errors).toEqual([
      expect.objectContaining({ code: 'invalid_input', message: 'payload.url is not a URL', willRetry: false }),
    ]);
    const k = await queue.get(broken.id);
    expect(k).toMatchObject({ state: 'failed', attempts: 2 });
    expect(k?.errors.map((e) => e.willRetry)).toEqual([true, false]);
    expect((await queue.list({ state: 'failed' })).map((j) => j.id).sort()).toEqual([bad.id, broken.id].sort());
    expect(await queue.counts()).toMatchObject({ failed: 2 });
  });

  it('gives a retried attempt the checkpoint saved by the failed one', async () => {
    const seen: unknown[] = [];
    handle('resumable', async (ctx: JobContext<{ items: string[] }>) => {
      seen.push(ctx.checkpoint);
      const done = new Set((ctx.checkpoint as { done?: string[] } | undefined)?.done ?? []);
      for (const it of ctx.payload.items) {
        if (done.has(it)) continue;
        if (it === 'c' && ctx.attempt === 1) throw new UpstreamUnavailableError('blip');
        done.add(it);
        await ctx.saveCheckpoint({ done: [...done] });
      }
      return {
        processedThisAttempt:
          ctx.payload.items.length - ((ctx.checkpoint as { done?: string[] } | undefined)?.done?.length ?? 0),
      };
    });
    const { id } = await queue.enqueue('resumable', { items: ['a', 'b', 'c', 'd'] }, { backoffMs: 0 });
    await worker.runUntilIdle();
    await worker.runUntilIdle();
    expect(seen).toEqual([undefined, { done: ['a', 'b'] }]);
    expect((await queue.get(id))?.result).toEqual({ processedThisAttempt: 2 });
  });

  it('pauses and resumes queue-wide', async () => {
    handle('p', () => 'ok');
    await queue.pause();
    const { id } = await queue.enqueue('p', {});
    expect(await queue.isPaused()).toBe(true);
    expect((await queue.get(id))?.state).toBe('paused');
    expect(await queue.counts()).toMatchObject({ paused: 1, queued: 0 });
    expect(await queue.list({ state: 'queued' })).toEqual([]);
    expect((await queue.list({ state: 'paused' })).map((j) => j.id)).toEqual([id]);
    expect(await worker.runUntilIdle()).toBe(0);
    await queue.resume();
    expect((await queue.get(id))?.state).toBe('queued');
    expect(await worker.runUntilIdle()).toBe(1);
    expect((await queue.get(id))?.state).toBe('succeeded');
  });

  it('cancels a queued job before it runs and a running one through its signal', async () => {
    handle('never', () => 'should not run');
    const queued = await queue.enqueue('never', {});
    expect(await queue.cancel(queued.id)).toBe(true);
    expect(await queue.cancel(queued.id)).toBe(false);
    await expect(queue.cancel('job_nope')).rejects.toBeInstanceOf(NotFoundError);

    let sawAbort = false;
    handle('long', async (ctx) => {
      await queue.cancel(ctx.jobId); // a user cancels while it runs
      sawAbort = ctx.signal.aborted;
      return 'finished anyway';
    });
    const running = await queue.enqueue('long', {});
    await worker.runUntilIdle();
    expect(sawAbort).toBe(true);
    expect((await queue.get(running.id))?.state).toBe('cancelled');
    expect((await queue.get(running.id))?.result).toBeNull();
    expect((await queue.get(queued.id))?.state).toBe('cancelled');
    expect(await queue.counts()).toMatchObject({ cancelled: 2, succeeded: 0 });
  });

  it('a cancel from another process reaches the running job at its next progress write', async () => {
    const elsewhere = new EmbeddedJobQueue(catalogue); // e.g. the API: no shared in-process events
    let abortedAfter = -1;
    handle('chunks', async (ctx) => {
      for (let i = 0; i < 10; i++) {
        if (i === 3) await elsewhere.cancel(ctx.jobId);
        await ctx.reportProgress(i + 1, 10);
        if (ctx.signal.aborted) {
          abortedAfter = i;
          throw ctx.signal.reason;
        }
      }
      return 'all';
    });
    const { id } = await queue.enqueue('chunks', {});
    await worker.runUntilIdle();
    expect(abortedAfter).toBe(3);
    const job = await queue.get(id);
    expect(job?.state).toBe('cancelled');
    expect(job?.errors).toEqual([]);
  });

  it('requeues jobs of dead or silent workers without spending an attempt, and fails endless crashers', async () => {
    handle('crashy', () => 'ok');
    const { id } = await queue.enqueue('crashy', {});
    const ghost = { id: 'worker_ghost', host: (await import('node:os')).hostname(), pid: 2 ** 22 + 12345 };
    const row = await queue.claim(['crashy'], ghost, 60_000);
    expect(row?.attempts).toBe(1);
    expect(await queue.recoverInterrupted()).toEqual([id]); // pid does not exist
    let job = await queue.get(id);
    expect(job).toMatchObject({ state: 'queued', attempts: 0 });
    expect(job?.errors[0]).toMatchObject({ code: 'interrupted', willRetry: true });

    const remote = { id: 'worker_remote', host: 'another-host', pid: 1 };
    await queue.claim(['crashy'], remote, 1000);
    expect(await queue.recoverInterrupted()).toEqual([]); // lease still valid
    now += 1001;
    expect(await queue.recoverInterrupted()).toEqual([id]);
    await queue.claim(['crashy'], remote, 1000);
    now += 1001;
    await queue.recoverInterrupted(); // third interruption > maxInterruptions (2)
    job = await queue.get(id);
    expect(job?.state).toBe('failed');
    expect(job?.errors.at(-1)?.message).toMatch(/interrupted 3 times, giving up/);
  });

  it('gives a live but silent owner process on this host extra time before taking its job', async () => {
    handle('busy', () => 'ok');
    const { id } = await queue.enqueue('busy', {});
    const busy = { id: 'worker_busy', host: (await import('node:os')).hostname(), pid: process.ppid }; // alive
    await queue.claim(['busy'], busy, 1000);
    now += 5000; // lease long expired, process still there (say, a long synchronous training step)
    expect(await queue.recoverInterrupted()).toEqual([]);
    now += 10 * 60_000;
    expect(await queue.recoverInterrupted()).toEqual([id]);
    expect((await queue.get(id))?.errors[0].message).toMatch(/stopped renewing its lease/);
  });

  it('a polling worker picks up jobs, and stop() releases a job that ignores the deadline', async () => {
    handle('quick', (ctx) => `hi ${(ctx.payload as { who: string }).who}`);
    handle(
      'stuck',
      (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    const polling = new EmbeddedJobWorker(queue, registry, { pollIntervalMs: 20, progressWriteMs: 0 });
    await polling.start();
    const quick = await queue.enqueue('quick', { who: 'there' });
    await vi.waitFor(async () => expect((await queue.get(quick.id))?.state).toBe('succeeded'), {
      timeout: 5000,
      interval: 10,
    });
    expect((await queue.get(quick.id))?.result).toBe('hi there');

    const stuck = await queue.enqueue('stuck', {});
    await vi.waitFor(async () => expect((await queue.get(stuck.id))?.state).toBe('running'), {
      timeout: 5000,
      interval: 10,
    });
    await polling.stop({ graceMs: 50 });
    const job = await queue.get(stuck.id);
    expect(job).toMatchObject({ state: 'queued', attempts: 0 });
    expect(job?.errors[0].message).toMatch(/worker shut down/);
  });

  it('runs up to `concurrency` jobs at once and reports health', async () => {
    let running = 0;
    let peak = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    handle('parallel', async () => {
      running++;
      peak = Math.max(peak, running);
      if (running === 3) open();
      await gate;
      running--;
      return peak;
    });
    const parallel = new EmbeddedJobWorker(queue, registry, { concurrency: 3, pollIntervalMs: 10 });
    const ids = await Promise.all([1, 2, 3, 4].map(async () => (await queue.enqueue('parallel', {})).id));
    await parallel.start();
    await vi.waitFor(async () => expect((await queue.counts()).succeeded).toBe(4), { timeout: 5000, interval: 10 });
    await parallel.stop();
    expect(peak).toBe(3);
    expect((await Promise.all(ids.map((id) => queue.get(id)))).every((j) => j?.state === 'succeeded')).toBe(true);
    const health = await new JobQueueHealthProbe(queue).check();
    expect(health).toMatchObject({ ok: true, kind: 'embedded', detail: { paused: false, counts: { succeeded: 4 } } });
    expect(await new CatalogueHealthProbe(catalogue).check()).toMatchObject({
      ok: true,
      kind: 'sqlite',
      detail: { migrations: 2 },
    });
  });

  it('refuses a second handler for the same job name', () => {
    handle('dup', () => 1);
    expect(() => registry.register('dup', () => 2, 'Other.run')).toThrow(ConflictError);
    expect(() => registry.register('dup', () => 2, 'Other.run')).toThrow(
      /job "dup" has two handlers: test:dup and Other.run/,
    );
  });
});
