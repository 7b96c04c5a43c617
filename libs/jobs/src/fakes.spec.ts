import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@tessera/common';
import { FakeJobContext } from './fake-job-context';
import { RecordingJobQueue } from './recording-job-queue';

describe('test fakes', () => {
  it('FakeJobContext records progress, item errors and checkpoints', async () => {
    const ctx = new FakeJobContext('demo', { n: 2 }, { checkpoint: { done: ['a'] } });
    expect(ctx.resumed).toBe(true);
    await ctx.reportProgress(1, 2, 'x');
    await ctx.reportItemError('b', new InvalidInputError('bad b'));
    await ctx.saveCheckpoint({ done: ['a', 'b'] });
    expect(ctx.lastProgress).toEqual({ done: 1, total: 2, stage: 'x' });
    expect(ctx.items).toEqual([{ ref: 'b', error: 'bad b', code: 'invalid_input', attempt: 1 }]);
    expect(ctx.checkpoints).toEqual([{ done: ['a', 'b'] }]);
  });

  it('RecordingJobQueue records, dedupes, pauses and cancels', async () => {
    const q = new RecordingJobQueue(['ingest.video']);
    await expect(q.enqueue('nope', {})).rejects.toBeInstanceOf(InvalidInputError);
    const a = await q.enqueue('ingest.video', { id: 1 }, { dedupeKey: 'k' });
    expect((await q.enqueue('ingest.video', { id: 1 }, { dedupeKey: 'k' })).deduplicated).toBe(true);
    expect(q.enqueued).toHaveLength(2);
    await q.pause();
    expect((await q.get(a.id))?.state).toBe('paused');
    expect(await q.cancel(a.id)).toBe(true);
    expect(await q.counts()).toMatchObject({ cancelled: 1, paused: 0 });
  });
});
