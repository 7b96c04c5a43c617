import type { ComponentHealth, HealthProbe } from '@tessera/common';
import { JobQueue } from './job-queue.port';

/** Readiness of the job queue (embedded or BullMQ) with its counts per state. */
export class JobQueueHealthProbe implements HealthProbe {
  readonly component = 'jobs';

  constructor(private readonly queue: JobQueue) {}

  async check(): Promise<ComponentHealth> {
    const [counts, paused] = await Promise.all([this.queue.counts(), this.queue.isPaused()]);
    return { ok: true, kind: this.queue.backend, detail: { counts, paused } };
  }
}
