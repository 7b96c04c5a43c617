import { InvalidInputError } from '@tessera/common';

/** Options every benchmark accepts; each area reads what applies to it. */
export interface BenchArgs {
  /** Problem size preset, e.g. 'small' | 'large' for tensor. */
  size?: string;
  /** tensor: timed steps per backend in the WebGPU comparison (shrink on a software adapter). */
  steps?: number;
  /** tensor: model widths for the WebGPU comparison, e.g. [64, 256]; [] skips it. */
  webgpuDModels?: number[];
  /** tensor: batch rows and tokens per row for the WebGPU comparison (default 64×128). */
  webgpuBatch?: number;
  webgpuTokens?: number;
  /** tensor: accept a software WebGPU adapter (TESSERA_WEBGPU_ALLOW_SOFTWARE=1). */
  allowSoftwareWebGpu?: boolean;
  /** Progress lines (stderr by default); the result object is returned, not printed. */
  log?: (line: string) => void;
}

export type BenchRunner = (args: BenchArgs) => Promise<object>;

/**
 * `tessera bench <area>` dispatch. To add an area: one line here that imports its
 * `bench/<area>/<area>.bench.ts` lazily (so one area's heavy imports never slow another;
 * dynamic import() under nodenext needs the .js extension).
 */
export const BENCHMARKS: Record<string, BenchRunner> = {
  tensor: async (a) =>
    (await import('./tensor/tensor.bench.js')).runTensorBench({
      size: a.size === 'large' ? 'large' : 'small',
      log: a.log,
      webgpu:
        a.webgpuDModels?.length === 0
          ? false
          : {
              dModels: a.webgpuDModels,
              steps: a.steps,
              batch: a.webgpuBatch,
              tokens: a.webgpuTokens,
              allowSoftware: a.allowSoftwareWebGpu,
            },
    }),
  s2dtw: async (a) => ({
    ...(await (await import('./s2dtw/s2dtw.bench.js')).runS2dtwBench({ log: a.log })),
    searchAt10kClips: await (await import('./s2dtw/clip-search.bench.js')).runClipSearchBench(),
  }),
  vectors: async (a) => (await import('./vectors/vectors.bench.js')).runVectorsBench({ size: a.size, log: a.log }),
  ingest: async (a) => (await import('./ingest/ingest.bench.js')).runIngestBench({ log: a.log }),
  coldstart: async (a) => (await import('./coldstart/coldstart.bench.js')).runColdStartBench({ log: a.log }),
};

export function knownBenchAreas(): string[] {
  return Object.keys(BENCHMARKS).sort();
}

/** Runs one area's benchmark; an unknown area is an InvalidInputError naming the known ones. */
export async function runBench(area: string, args: BenchArgs = {}): Promise<object> {
  const runner = Object.hasOwn(BENCHMARKS, area) ? BENCHMARKS[area] : undefined;
  if (!runner) {
    throw new InvalidInputError(`unknown benchmark area '${area}'; known: ${knownBenchAreas().join(', ')}`, {
      area,
      known: knownBenchAreas(),
    });
  }
  return runner(args);
}
