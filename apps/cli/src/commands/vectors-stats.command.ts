import { SubCommand, CommandRunner, Option } from 'nest-commander';
import { loadConfig } from '@tessera/common';
import { createVectorStore } from '@tessera/vector-store';

/** `tessera vectors stats`: which store is configured, its collections, sizes, index kind and aliases. */
@SubCommand({
  name: 'stats',
  description: 'print the configured vector store, its collections, point counts, index kind and aliases',
})
export class VectorsStatsCommand extends CommandRunner {
  async run(_params: string[], options: { json?: boolean }): Promise<void> {
    const store = createVectorStore(loadConfig());
    try {
      const health = await store.ping();
      const collections = [];
      for (const name of await store.listCollections()) collections.push(await store.getCollection(name));
      const aliases = await store.listAliases();
      const stats = { store: store.describe(), health, collections, aliases };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(stats)}\n`);
        return;
      }
      process.stdout.write(
        `store: ${stats.store.kind} at ${stats.store.location} (${health.ok ? 'ok' : `NOT OK: ${health.error}`})\n`,
      );
      for (const c of collections) {
        const vectors =
          'size' in c.vectors
            ? `${String(c.vectors.size)}-d ${String(c.vectors.distance)}`
            : Object.keys(c.vectors).join(', ');
        process.stdout.write(`  ${c.name}: ${c.pointsCount} points, ${vectors}, ${JSON.stringify(c.detail ?? {})}\n`);
      }
      for (const a of aliases) process.stdout.write(`  alias ${a.alias} -> ${a.collection}\n`);
      if (!health.ok) process.exitCode = 1;
    } finally {
      await store.close();
    }
  }

  @Option({ flags: '--json', description: 'print one JSON object' })
  parseJson(): boolean {
    return true;
  }
}
