import { runIngestBench } from './ingest/ingest.bench';

/** A benchmark area's runner: prints progress through `log`, resolves to one JSON-able result. */
export type BenchRunner = (options?: { log?: (line: string) => void }) => Promise<unknown>;

/** Area name -> runner, for `npm run bench -- <area>` (one script per area under bench/<area>/). */
export const benchRunners: Record<string, BenchRunner> = {
  ingest: (options) => runIngestBench(options),
};
