import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '@tessera/common';
import { BullmqJobQueue } from './bullmq-job-queue.repository';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('BullmqJobQueue without a reachable Redis', () => {
  it('reports UpstreamUnavailableError instead of hanging', async () => {
    const queue = new BullmqJobQueue({ redisUrl: `redis://127.0.0.1:${await closedPort()}`, timeoutMs: 500 });
    try {
      const err = await queue.counts().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UpstreamUnavailableError);
      expect((err as Error).message).toMatch(/redis (unavailable during|did not answer) counts/);
    } finally {
      await queue.close();
    }
  }, 30_000);
});
