import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { InvalidInputError, UpstreamUnavailableError } from '@tessera/common';
import { BullmqJobQueue, BullmqJobWorker, JobHandlerRegistry, readRunState, type JobContext } from '@tessera/jobs';

// Needs the Debian `redis-server` package (CI: apt-get install -y redis-server).
const redisBin = spawnSync('which', ['redis-server'], { encoding: 'utf8' }).stdout.trim();
const skip = redisBin === '';
const reason = skip ? ' (skipped: redis-server not installed; apt-get install -y redis-server)' : '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(skip)(`BullMQ job queue against a real redis-server${reason}`, () => {
  let redis: ChildProcess;
  let url: string;
  let registry: JobHandlerRegistry;
  let queue: BullmqJobQueue;
  let worker: BullmqJobWorker;
  let n = 0;

  beforeAll(async () => {
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    probe.on('error', () => undefined);
    await vi.waitFor(async () => expect(await probe.ping()).toBe('PONG'), { timeout: 20_000, interval: 50 });
    probe.disconnect();
  });
  afterAll(() => {
    redis?.kill('SIGTERM');
  });

  beforeEach(async () => {
    registry = new JobHandlerRegistry();
    queue = new BullmqJobQueue({ redisUrl: url, queueName: `t${++n}`, registry });
    worker = new BullmqJobWorker(queue, registry, { cancelPollMs: 50, leaseMs: 5000 });
  });
  afterEach(async () => {
    await worker.stop({ graceMs: 1000 });
    await queue.close();
  });

  const until = (id: string, state: string) =>
    vi.waitFor(async () => expect((await queue.get(id))?.state).toBe(state), { timeout: 20_000, interval: 25 });

  it('runs a job with progress, per-item errors and result; refuses unknown names', async () => {
    registry.register('demo.items', async (ctx: JobContext<{ refs: string[] }>) => {
      for (const [i, ref] of ctx.payload.refs.entries()) {
        if (ref === 'bad') await ctx.reportItemError(ref, new InvalidInputError('cannot decode bad'));
        await ctx.reportProgress(i + 1, ctx.payload.refs.length, 'decode');
      }
      return { n: ctx.payload.refs.length };
    });
    await expect(queue.enqueue('nobody.handles', {})).rejects.toBeInstanceOf(InvalidInputError);
    const { id } = await queue.enqueue('demo.items', { refs: ['a', 'bad', 'c'] });
    expect((await queue.get(id))?.state).toBe('queued');
    await worker.start();
    await until(id, 'succeeded');
    const job = await queue.get(id);
    expect(job).toMatchObject({
      result: { n: 3 },
      attempts: 1,
      progress: { done: 3, total: 3, stage: 'decode' },
      payload: { refs: ['a', 'bad', 'c'] },
    });
    expect(job?.items).toEqual([{ ref: 'bad', error: 'cannot decode bad', code: 'invalid_input', attempt: 1 }]);
    expect(await queue.counts()).toMatchObject({ succeeded: 1, queued: 0 });
  });

  it('retries upstream errors with backoff and keeps the checkpoint; InvalidInputError fails at once', async () => {
    const seen: unknown[] = [];
    registry.register('flaky', async (ctx) => {
      seen.push(ctx.checkpoint);
      await ctx.saveCheckpoint({ upTo: ctx.attempt });
      if (ctx.attempt < 3) throw new UpstreamUnavailableError(`down ${ctx.attempt}`);
      return 'ok';
    });
    registry.register('bad.input', () => {
      throw new InvalidInputError('no such file');
    });
    const flaky = await queue.enqueue('flaky', {}, { maxAttempts: 4, backoffMs: 20 });
    const bad = await queue.enqueue('bad.input', {}, { maxAttempts: 4, backoffMs: 20 });
    await worker.start();
    await until(flaky.id, 'succeeded');
    await until(bad.id, 'failed');
    const f = await queue.get(flaky.id);
    expect(f?.attempts).toBe(3);
    expect(f?.errors.map((e) => [e.attempt, e.code, e.willRetry])).toEqual([
      [1, 'upstream_unavailable', true],
      [2, 'upstream_unavailable', true],
    ]);
    expect(seen).toEqual([undefined, { upTo: 1 }, { upTo: 2 }]);
    const b = await queue.get(bad.id);
    expect(b?.attempts).toBe(1);
    expect(b?.errors).toEqual([expect.objectContaining({ code: 'invalid_input', willRetry: false })]);
  });

  it('pauses, resumes, deduplicates and cancels (queued and running)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    registry.register(
      'wait.signal',
      (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    registry.register('quick', async () => {
      await gate;
      return 'done';
    });
    await queue.pause();
    const q1 = await queue.enqueue('quick', {}, { dedupeKey: 'k1' });
    const q2 = await queue.enqueue('quick', {}, { dedupeKey: 'k1' });
    expect(q2).toEqual({ id: q1.id, name: 'quick', deduplicated: true });
    const doomed = await queue.enqueue('quick', {});
    expect((await queue.get(q1.id))?.state).toBe('paused');
    expect(await queue.counts()).toMatchObject({ paused: 2, queued: 0 });
    expect(await queue.cancel(doomed.id)).toBe(true);
    expect((await queue.get(doomed.id))?.state).toBe('cancelled');

    await worker.start();
    await queue.resume();
    release();
    await until(q1.id, 'succeeded');

    const long = await queue.enqueue('wait.signal', {});
    await until(long.id, 'running');
    expect(await queue.cancel(long.id)).toBe(true);
    await until(long.id, 'cancelled');
    expect(await queue.cancel(long.id)).toBe(false);
    expect(await queue.counts()).toMatchObject({ cancelled: 2, succeeded: 1, failed: 0 });
  });

  it('resumes a job after kill -9 of a worker process (BullMQ stalled-job recovery), skipping checkpointed items', async () => {
    const root = resolve(__dirname, '..', '..');
    const dir = mkdtempSync(join(tmpdir(), 'tessera-bull-crash-'));
    const logPath = join(dir, 'work.log');
    const shared = new BullmqJobQueue({ redisUrl: url }); // the default queue the worker app uses
    const children: ChildProcess[] = [];
    const start = () => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          join(root, 'test/jobs/support/ts-register.cjs'),
          join(root, 'test/jobs/support/slow-items-worker.ts'),
          dir,
          logPath,
          '5000',
        ],
        {
          cwd: root,
          stdio: ['ignore', 'ignore', 'inherit'],
          env: { ...process.env, REDIS_URL: url, TESSERA_TEST_LEASE_MS: '1000' },
        },
      );
      children.push(child);
      return child;
    };
    const checkpoint = async (id: string) =>
      (readRunState((await shared.queue.getJob(id))?.progress).checkpoint as { done?: string[] } | undefined)?.done ??
      [];
    const log = () =>
      existsSync(logPath)
        ? readFileSync(logPath, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { item: string; pid: number; attempt: number; resumed: boolean })
        : [];
    try {
      const items = Array.from({ length: 12 }, (_, i) => `item-${i}`);
      const { id } = await shared.enqueue('test.slow-items', { items, delayMs: 200 }, { maxAttempts: 1 });
      const first = start();
      await vi.waitFor(async () => expect((await checkpoint(id)).length).toBeGreaterThanOrEqual(3), {
        timeout: 60_000,
        interval: 25,
      });
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const doneBeforeCrash = await checkpoint(id);
      expect(doneBeforeCrash.length).toBeLessThan(items.length);
      expect((await shared.get(id))?.state).toBe('running'); // still locked by the dead worker

      const second = start();
      await vi.waitFor(async () => expect((await shared.get(id))?.state).toBe('succeeded'), {
        timeout: 90_000,
        interval: 100,
      });
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
      const lines = log();
      expect(new Set(lines.map((l) => l.item))).toEqual(new Set(items));
      const redone = lines.filter((l) => l.pid === second.pid).map((l) => l.item);
      for (const item of doneBeforeCrash) expect(redone).not.toContain(item);
      expect(lines.filter((l) => l.pid === second.pid).every((l) => l.resumed)).toBe(true);
      expect((await shared.get(id))?.result).toEqual({ done: items.length });
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await shared.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
