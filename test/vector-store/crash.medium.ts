import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '@tessera/common';
import { EmbeddedVectorStore } from '@tessera/vector-store';
import { vectorFor } from './crash-writer.child';

const HOOK = resolve(__dirname, 'ts-require-hook.cjs');
const WRITER = resolve(__dirname, 'crash-writer.child.ts');

/** Runs the writer until it has acknowledged `killAfterAcks` batches, then SIGKILLs it mid-stream. */
function runAndKill(dir: string, firstId: number, batch: number, killAfterAcks: number): Promise<{ acked: number[] }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-r', HOOK, WRITER, dir, String(firstId), String(batch)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let buffer = '';
    let stderr = '';
    let acks = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /^ack (\d+) (\d+)$/.exec(line);
        if (!m) continue;
        for (let id = Number(m[1]); id <= Number(m[2]); id++) acked.push(id);
        if (++acks === killAfterAcks) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise({ acked });
      else reject(new Error(`writer exited early (code ${code}): ${stderr}`));
    });
  });
}

describe('embedded vector store survives kill -9 during upserts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged point across repeated kills, and the collection stays readable', async () => {
    const rng = new Rng(2026);
    const batch = 40;
    const allAcked: number[] = [];
    let nextId = 1;
    for (let round = 0; round < 4; round++) {
      // kill after a varying number of acknowledged batches, so the kill lands at different moments
      const { acked } = await runAndKill(dir, nextId, batch, 3 + rng.int(12));
      expect(acked.length).toBeGreaterThan(0);
      allAcked.push(...acked);
      nextId = Math.max(...allAcked) + batch * 50; // leave room: unacknowledged batches may or may not exist

      const store = new EmbeddedVectorStore({ dir, exactThreshold: 200, checkpointEvery: 300, backgroundBuild: false });
      try {
        const got = await store.get('crash', allAcked, { withVector: true });
        expect(got.map((p) => p.id)).toEqual(allAcked);
        for (const p of got.slice(-5)) expect(p.payload).toEqual({ id: p.id, text: `point ${String(p.id)}` });
        const count = await store.count('crash');
        expect(count).toBeGreaterThanOrEqual(allAcked.length);
        // readable through the graph as well: each sampled acknowledged point finds itself first
        for (const id of [allAcked[0], allAcked[Math.floor(allAcked.length / 2)], allAcked[allAcked.length - 1]]) {
          const hit = await store.search('crash', { vector: vectorFor(id), limit: 1 });
          expect(hit[0].score).toBeCloseTo(1, 4);
        }
        let scrolled = 0;
        let offset: number | string | null = null;
        do {
          const page = await store.scroll('crash', { limit: 500, offset, withPayload: false });
          scrolled += page.points.length;
          offset = page.nextPageOffset;
        } while (offset !== null);
        expect(scrolled).toBe(count);
      } finally {
        await store.close();
      }
    }
    expect(existsSync(join(dir, 'vectors.db'))).toBe(true);
    expect(readdirSync(join(dir, 'index')).some((f) => f.endsWith('~checkpoint.json'))).toBe(true);
  });
});
