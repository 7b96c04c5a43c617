import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exactSearch, MetricKind } from 'usearch';
import { Rng } from '@tessera/common';
import { EmbeddedVectorStore, type AnnLibrary, type Distance, type PointStruct } from '@tessera/vector-store';

export interface VectorsBenchOptions {
  /** 'small' = 20,000 points and 200 queries for a quick look; default is the full 100k × 1,000 run. */
  size?: string;
  /** Points per dataset. Default 100,000. */
  n?: number;
  dim?: number;
  queries?: number;
  k?: number;
  datasets?: ('random' | 'clustered')[];
  libraries?: AnnLibrary[];
  /** HNSW search breadths to sweep per library (the store default is marked). */
  efSweep?: number[];
  distance?: Distance;
  seed?: number;
  json?: boolean;
  log?: (line: string) => void;
}

interface Dataset {
  name: string;
  data: Float32Array;
  queries: Float32Array;
}

export interface StoreResult {
  store: string;
  efSearch: number;
  ingestSeconds: number;
  buildSeconds: number;
  queriesPerSecond: number;
  recallAt10: number;
  /** Process RSS after the build; `rssDeltaMegabytes` is the growth since this store was opened. */
  rssMegabytes: number;
  rssDeltaMegabytes: number;
  /** queries/s of the index over queries/s of the brute-force scan timed in the same loop. */
  speedupVsBruteForce: number;
  bruteForceQueriesPerSecond: number;
  p50Ms: number;
  p90Ms: number;
}

export interface DatasetResult {
  dataset: string;
  bruteForce: { queriesPerSecond: number; p50Ms: number; p90Ms: number };
  nativeExact: { queriesPerSecond: number };
  stores: StoreResult[];
  filtered10pct: { path: string; queriesPerSecond: number; recallAt10: number; speedupVsBruteForce: number }[];
}

export interface VectorsBenchReport {
  node: string;
  cpus: number;
  cpuModel: string;
  n: number;
  dim: number;
  queries: number;
  k: number;
  distance: Distance;
  results: DatasetResult[];
}

/**
 * The vectors benchmark: 100k × 128 random and clustered (100 Gaussian clusters) float vectors,
 * 1,000 queries, k = 10. Ground truth is a brute-force scan computed in the same run (also the
 * speed baseline); each store reports build time, single-thread queries/s, recall@10 and RSS.
 * Filtered search at 10% selectivity is measured on the exact path and on the graph.
 */
export async function runVectorsBench(opts: VectorsBenchOptions = {}): Promise<VectorsBenchReport> {
  const small = opts.size === 'small';
  const n = opts.n ?? (small ? 20_000 : 100_000);
  const dim = opts.dim ?? 128;
  const nq = opts.queries ?? (small ? 200 : 1000);
  const k = opts.k ?? 10;
  const distance = opts.distance ?? 'Euclid';
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const rng = new Rng(opts.seed ?? 7);
  const libraries = opts.libraries ?? ['hnswlib', 'usearch'];
  const efSweep = opts.efSweep ?? [32, 64, 96, 128];
  const report: VectorsBenchReport = {
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    n,
    dim,
    queries: nq,
    k,
    distance,
    results: [],
  };
  for (const name of opts.datasets ?? ['clustered', 'random']) {
    const ds =
      name === 'random' ? randomDataset(rng.fork(), n, nq, dim) : clusteredDataset(rng.fork(), n, nq, dim, 100);
    log(`[vectors] ${name}: brute force ground truth for ${nq} queries over ${n} × ${dim}`);
    const truth: number[][] = [];
    const bfTimes: number[] = [];
    for (let q = 0; q < nq; q++) {
      const t0 = performance.now();
      truth.push(bruteForce(ds.data, n, dim, ds.queries.subarray(q * dim, (q + 1) * dim), k, distance, () => true));
      bfTimes.push(performance.now() - t0);
    }
    const bf = summarise(bfTimes);
    const nativeQps = nativeExactQps(ds, n, dim, Math.min(nq, 200), k, distance);
    const result: DatasetResult = {
      dataset: name,
      bruteForce: { queriesPerSecond: bf.qps, p50Ms: bf.p50, p90Ms: bf.p90 },
      nativeExact: { queriesPerSecond: nativeQps },
      stores: [],
      filtered10pct: [],
    };
    log(
      `[vectors] ${name}: brute force ${bf.qps.toFixed(1)} q/s (JS), native exact ${nativeQps.toFixed(1)} q/s (usearch SIMD)`,
    );
    for (const library of libraries) {
      // hnswlib changes its search breadth on a built graph; usearch needs a build per value
      const sweeps = library === 'hnswlib' ? [efSweep] : efSweep.map((ef) => [ef]);
      for (const efs of sweeps) {
        const filtered = name === 'clustered' && library === 'hnswlib' ? result : undefined;
        const rs = await measureStore(ds, n, dim, nq, k, distance, library, efs, truth, bf.qps, filtered, log);
        for (const r of rs) {
          result.stores.push(r);
          log(
            `[vectors] ${name} ${r.store} ef=${r.efSearch}: build ${r.buildSeconds.toFixed(1)} s (+${r.ingestSeconds.toFixed(1)} s durable ingest), ` +
              `${r.queriesPerSecond.toFixed(0)} q/s, recall@${k} ${r.recallAt10.toFixed(4)}, ×${r.speedupVsBruteForce.toFixed(1)} vs brute force, RSS ${r.rssMegabytes.toFixed(0)} MB`,
          );
        }
      }
    }
    report.results.push(result);
  }
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return report;
}

async function measureStore(
  ds: Dataset,
  n: number,
  dim: number,
  nq: number,
  k: number,
  distance: Distance,
  library: AnnLibrary,
  efSweep: number[],
  truth: number[][],
  _bruteQps: number,
  filteredInto: DatasetResult | undefined,
  log: (line: string) => void,
): Promise<StoreResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-vbench-'));
  const rssBefore = process.memoryUsage().rss;
  const store = new EmbeddedVectorStore({
    dir,
    annLibrary: library,
    ann: { efSearch: efSweep[0], threads: 1 },
    checkpointEvery: 10 * n,
  });
  try {
    await store.createCollection('bench', { vectors: { size: dim, distance } });
    let t0 = performance.now();
    const batch = 2000;
    for (let start = 0; start < n; start += batch) {
      const points: PointStruct[] = [];
      for (let i = start; i < Math.min(n, start + batch); i++) {
        points.push({ id: i, vector: ds.data.subarray(i * dim, (i + 1) * dim), payload: { bucket: i % 10 } });
      }
      await store.upsert('bench', points, { batchSize: batch });
    }
    const ingestSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await store.buildIndex('bench');
    const buildSeconds = (performance.now() - t0) / 1000;
    const rssNow = process.memoryUsage().rss;
    const rss = rssNow / 2 ** 20;
    // sequential stores share one process, so the delta is only indicative (garbage of the previous one)
    const rssDelta = (rssNow - rssBefore) / 2 ** 20;
    const out: StoreResult[] = [];
    for (const ef of efSweep) {
      store.setEfSearch(ef);
      const times: number[] = [];
      const bfTimes: number[] = [];
      let hits = 0;
      for (let q = 0; q < nq; q++) {
        const query = ds.queries.subarray(q * dim, (q + 1) * dim);
        const s = performance.now();
        const res = await store.search('bench', { vector: query, limit: k, withPayload: false });
        times.push(performance.now() - s);
        // brute force timed beside the index on every 10th query, so machine load hits both alike
        if (q % 10 === 0) {
          const b = performance.now();
          bruteForce(ds.data, n, dim, query, k, distance, () => true);
          bfTimes.push(performance.now() - b);
        }
        const want = new Set(truth[q]);
        for (const r of res) if (want.has(r.id as number)) hits++;
      }
      const st = summarise(times);
      const bfBeside = summarise(bfTimes).qps;
      out.push({
        store: `embedded-${library}`,
        efSearch: ef,
        ingestSeconds,
        buildSeconds,
        queriesPerSecond: st.qps,
        recallAt10: hits / (nq * k),
        rssMegabytes: rss,
        rssDeltaMegabytes: rssDelta,
        speedupVsBruteForce: st.qps / bfBeside,
        bruteForceQueriesPerSecond: bfBeside,
        p50Ms: st.p50,
        p90Ms: st.p90,
      });
    }
    if (filteredInto && library === 'hnswlib') {
      filteredInto.filtered10pct.push(
        await measureFiltered(store, ds, n, dim, Math.min(nq, 300), k, distance, 'exact scan of matches'),
      );
      // force the graph for comparison: no exact fallback for any filter size
      const graphStore = store as unknown as { exactFilterFraction: number; exactThreshold: number };
      graphStore.exactFilterFraction = 0;
      graphStore.exactThreshold = 0;
      filteredInto.filtered10pct.push(
        await measureFiltered(store, ds, n, dim, Math.min(nq, 300), k, distance, 'graph walk with filter'),
      );
      for (const f of filteredInto.filtered10pct) {
        log(
          `[vectors] filtered 10%: ${f.path}: ${f.queriesPerSecond.toFixed(0)} q/s, recall ${f.recallAt10.toFixed(4)}, ×${f.speedupVsBruteForce.toFixed(1)} vs unfiltered brute force`,
        );
      }
    }
    return out;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureFiltered(
  store: EmbeddedVectorStore,
  ds: Dataset,
  n: number,
  dim: number,
  nq: number,
  k: number,
  distance: Distance,
  path: string,
): Promise<{ path: string; queriesPerSecond: number; recallAt10: number; speedupVsBruteForce: number }> {
  const times: number[] = [];
  const bfTimes: number[] = [];
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const query = ds.queries.subarray(q * dim, (q + 1) * dim);
    const want = new Set(bruteForce(ds.data, n, dim, query, k, distance, (i) => i % 10 === 3));
    const s = performance.now();
    const res = await store.search('bench', {
      vector: query,
      limit: k,
      withPayload: false,
      filter: { must: [{ key: 'bucket', match: { value: 3 } }] },
    });
    times.push(performance.now() - s);
    if (q % 10 === 0) {
      const b = performance.now();
      bruteForce(ds.data, n, dim, query, k, distance, () => true);
      bfTimes.push(performance.now() - b);
    }
    for (const r of res) if (want.has(r.id as number)) hits++;
  }
  const qps = summarise(times).qps;
  return {
    path,
    queriesPerSecond: qps,
    recallAt10: hits / (nq * k),
    speedupVsBruteForce: qps / summarise(bfTimes).qps,
  };
}

/** The baseline: a plain scan in JavaScript with a bounded heap. */
function bruteForce(
  data: Float32Array,
  n: number,
  dim: number,
  q: Float32Array,
  k: number,
  distance: Distance,
  accept: (i: number) => boolean,
): number[] {
  const best: { i: number; s: number }[] = [];
  let floor = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!accept(i)) continue;
    let s = 0;
    const off = i * dim;
    if (distance === 'Euclid') {
      for (let j = 0; j < dim; j++) {
        const t = data[off + j] - q[j];
        s -= t * t;
      }
    } else {
      for (let j = 0; j < dim; j++) s += data[off + j] * q[j];
    }
    if (best.length < k || s > floor) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
      floor = best[best.length - 1].s;
    }
  }
  return best.map((b) => b.i);
}

function nativeExactQps(ds: Dataset, n: number, dim: number, nq: number, k: number, distance: Distance): number {
  const t0 = performance.now();
  for (let q = 0; q < nq; q++) {
    exactSearch(
      ds.data,
      ds.queries.subarray(q * dim, (q + 1) * dim),
      dim,
      k,
      distance === 'Euclid' ? MetricKind.L2sq : MetricKind.IP,
      1,
    );
  }
  return nq / ((performance.now() - t0) / 1000);
}

function randomDataset(rng: Rng, n: number, nq: number, dim: number): Dataset {
  const data = new Float32Array(n * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
  const queries = new Float32Array(nq * dim);
  for (let i = 0; i < queries.length; i++) queries[i] = rng.next() * 2 - 1;
  return { name: 'random', data, queries };
}

/** Points around `clusters` Gaussian centres (unit spread per axis, centres spread 4× wider). */
function clusteredDataset(rng: Rng, n: number, nq: number, dim: number, clusters: number): Dataset {
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = rng.normal() * 4;
  const sample = (count: number): Float32Array => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const c = rng.int(clusters);
      for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j] + rng.normal();
    }
    return out;
  };
  return { name: 'clustered', data: sample(n), queries: sample(nq) };
}

function summarise(timesMs: number[]): { qps: number; p50: number; p90: number } {
  const total = timesMs.reduce((a, b) => a + b, 0);
  const sorted = [...timesMs].sort((a, b) => a - b);
  return {
    qps: timesMs.length / (total / 1000),
    p50: sorted[Math.floor(sorted.length * 0.5)],
    p90: sorted[Math.floor(sorted.length * 0.9)],
  };
}
