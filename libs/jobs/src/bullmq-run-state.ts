import type { JobErrorEntry, JobItemError, JobProgress } from './job.types';

/**
 * What the BullMQ adapter keeps in a job's `progress` field: BullMQ has one JSON
 * slot that survives retries and stalls, so progress, per-item errors, the
 * checkpoint and our error list share it.
 */
export interface BullmqRunState {
  progress: JobProgress | null;
  items: JobItemError[];
  itemErrorCount: number;
  errors: JobErrorEntry[];
  checkpoint?: unknown;
}

export function readRunState(progress: unknown): BullmqRunState {
  const p = (progress && typeof progress === 'object' ? progress : {}) as Partial<BullmqRunState>;
  return {
    progress: p.progress ?? null,
    items: Array.isArray(p.items) ? p.items : [],
    itemErrorCount:
      typeof p.itemErrorCount === 'number' ? p.itemErrorCount : Array.isArray(p.items) ? p.items.length : 0,
    errors: Array.isArray(p.errors) ? p.errors : [],
    ...(p.checkpoint !== undefined ? { checkpoint: p.checkpoint } : {}),
  };
}
