// Child process of crash.medium.ts: upserts batches forever and prints one line per batch once
// upsert() has resolved ("ack <first id> <last id>"). The parent kills it with SIGKILL at some point.
import { EmbeddedVectorStore } from '../../libs/vector-store/src/embedded/embedded-vector-store.repository';

async function main(): Promise<void> {
  const [dir, firstIdArg, batchArg] = process.argv.slice(2);
  const store = new EmbeddedVectorStore({ dir, exactThreshold: 200, checkpointEvery: 300, backgroundBuild: false });
  if (!(await store.collectionExists('crash')))
    await store.createCollection('crash', { vectors: { size: 8, distance: 'Cosine' } });
  const batch = Number(batchArg);
  for (let first = Number(firstIdArg); ; first += batch) {
    const points = [];
    for (let id = first; id < first + batch; id++)
      points.push({ id, vector: vectorFor(id), payload: { id, text: `point ${id}` } });
    await store.upsert('crash', points);
    process.stdout.write(`ack ${first} ${first + batch - 1}\n`);
    // every few batches search too, so the graph is built and checkpointed while we may be killed
    if (first % (batch * 5) === 0) await store.search('crash', { vector: vectorFor(first), limit: 1 });
  }
}

export function vectorFor(id: number): number[] {
  return Array.from({ length: 8 }, (_, j) => Math.sin(id * 0.37 + j * 1.3) + (j === id % 8 ? 2 : 0));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`writer failed: ${String(e)}\n`);
    process.exit(1);
  });
}
