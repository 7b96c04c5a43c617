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

describe('two worker processes on one SQLite catalogue', () => {
  let dir: string;
  let catalogue: Catalogue;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-multi-'));
    catalogue = await openCatalogue(join(dir, 'tessera.db'));
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await catalogue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every job exactly once (atomic claim), whichever worker takes it', async () => {
    const queue = new EmbeddedJobQueue(catalogue);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++)
      ids.push((await queue.enqueue('test.slow-items', { items: [`job-${i}`], delayMs: 5 })).id);
    const logPath = join(dir, 'work.log');
    for (let w = 0; w < 2; w++) {
      const child = spawn(process.execPath, ['-r', register, script, dir, logPath, '5000'], {
        cwd: root,
        env: { ...process.env, REDIS_URL: '' }, // the embedded queue, whatever the caller's environment
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
    }
    await vi.waitFor(async () => expect((await queue.counts()).succeeded).toBe(40), {
      timeout: 120_000,
      interval: 100,
    });
    const lines = existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean) : [];
    const items = lines.map((l) => (JSON.parse(l) as { item: string }).item);
    expect(items).toHaveLength(40);
    expect(new Set(items).size).toBe(40);
    const jobs = await Promise.all(ids.map((id) => queue.get(id)));
    expect(jobs.every((j) => j?.attempts === 1 && j.errors.length === 0)).toBe(true);
  });
});
