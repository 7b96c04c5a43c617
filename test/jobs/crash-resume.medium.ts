import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Catalogue, openCatalogue } from '@tessera/db';
import { EmbeddedJobQueue } from '@tessera/jobs';

const root = resolve(__dirname, '..', '..');
const register = join(root, 'test/jobs/support/ts-register.cjs');
const script = join(root, 'test/jobs/support/slow-items-worker.ts');

interface LogLine {
  item: string;
  pid: number;
  attempt: number;
  resumed: boolean;
}

function startWorker(dataDir: string, logPath: string, graceMs: number): ChildProcess {
  const child = spawn(process.execPath, ['-r', register, script, dataDir, logPath, String(graceMs)], {
    cwd: root,
    env: { ...process.env, REDIS_URL: '' }, // the embedded queue, whatever the caller's environment
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[worker ${child.pid}] ${d.toString()}`));
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);
}

describe('embedded job queue across real worker processes', () => {
  let dir: string;
  let catalogue: Catalogue;
  let queue: EmbeddedJobQueue;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
    catalogue = await openCatalogue(join(dir, 'tessera.db'));
    queue = new EmbeddedJobQueue(catalogue);
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await catalogue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes a job after kill -9 of its worker, without redoing checkpointed items', async () => {
    const items = Array.from({ length: 12 }, (_, i) => `item-${i}`);
    const { id } = await queue.enqueue('test.slow-items', { items, delayMs: 200 }, { maxAttempts: 1 });
    const logPath = join(dir, 'work.log');

    const first = startWorker(dir, logPath, 5000);
    children.push(first);
    await vi.waitFor(
      async () => {
        const job = await queue.get(id);
        expect(job?.state).toBe('running');
        expect(((await rawCheckpoint(catalogue, id))?.done ?? []).length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 60_000, interval: 25 },
    );
    first.kill('SIGKILL');
    expect((await exited(first)).signal).toBe('SIGKILL');

    // The dead worker still "holds" the job; its checkpoint says what is done.
    const orphan = await queue.get(id);
    expect(orphan?.state).toBe('running');
    const doneBeforeCrash = (await rawCheckpoint(catalogue, id))?.done ?? [];
    expect(doneBeforeCrash.length).toBeGreaterThanOrEqual(3);
    expect(doneBeforeCrash.length).toBeLessThan(items.length);

    const second = startWorker(dir, logPath, 5000);
    children.push(second);
    await vi.waitFor(async () => expect((await queue.get(id))?.state).toBe('succeeded'), {
      timeout: 60_000,
      interval: 50,
    });
    second.kill('SIGTERM');
    expect((await exited(second)).code).toBe(0);

    const job = await queue.get(id);
    expect(job?.result).toEqual({ done: items.length });
    // A crash does not spend an attempt: maxAttempts 1 still succeeded, as attempt 1.
    expect(job?.attempts).toBe(1);
    expect(job?.errors).toEqual([
      expect.objectContaining({ code: 'interrupted', message: expect.stringMatching(/worker process \d+ .* died/) }),
    ]);

    const log = readLog(logPath);
    const byFirst = log.filter((l) => l.pid === first.pid).map((l) => l.item);
    const bySecond = log.filter((l) => l.pid === second.pid);
    // Every item done; nothing the first worker had checkpointed was done again.
    expect(new Set(log.map((l) => l.item))).toEqual(new Set(items));
    for (const item of doneBeforeCrash) expect(bySecond.map((l) => l.item)).not.toContain(item);
    expect(byFirst.slice(0, doneBeforeCrash.length)).toEqual(doneBeforeCrash);
    expect(bySecond.every((l) => l.resumed && l.attempt === 1)).toBe(true);
  });

  it('on SIGTERM hands an unfinished job back to the queue and exits 0', async () => {
    const { id } = await queue.enqueue('test.slow-items', { items: ['a', 'b', 'c'], delayMs: 30_000 });
    const logPath = join(dir, 'work.log');
    const child = startWorker(dir, logPath, 200);
    children.push(child);
    await vi.waitFor(async () => expect(readLog(logPath)).toHaveLength(1), { timeout: 60_000, interval: 25 });
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
    const job = await queue.get(id);
    expect(job).toMatchObject({ state: 'queued', attempts: 0 });
    expect(job?.errors.at(-1)?.message).toMatch(/worker shut down/);
    expect(await rawCheckpoint(catalogue, id)).toEqual({ done: ['a'] });
  });
});

async function rawCheckpoint(catalogue: Catalogue, id: string): Promise<{ done?: string[] } | undefined> {
  const row = await catalogue.db.selectFrom('jobs').select('checkpoint').where('id', '=', id).executeTakeFirst();
  return row?.checkpoint ? (JSON.parse(row.checkpoint) as { done?: string[] }) : undefined;
}
