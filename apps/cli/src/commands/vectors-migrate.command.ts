import { join } from 'node:path';
import { SubCommand, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, loadConfig } from '@tessera/common';
import { EmbeddedVectorStore, migrateVectorStore, QdrantVectorStore, type VectorStore } from '@tessera/vector-store';

type StoreKind = 'embedded' | 'qdrant';

interface MigrateOptions {
  from?: StoreKind;
  to?: StoreKind;
  collection?: string[];
  batchSize?: number;
  replace?: boolean;
  json?: boolean;
}

/** `tessera vectors migrate --from embedded --to qdrant` (or back): copies collections and aliases. */
@SubCommand({
  name: 'migrate',
  description: 'copy every collection (or --collection ones) and their aliases between the embedded store and Qdrant',
})
export class VectorsMigrateCommand extends CommandRunner {
  async run(_params: string[], options: MigrateOptions): Promise<void> {
    const { from, to } = options;
    if (!from || !to) throw new InvalidInputError('pass --from and --to (embedded or qdrant)', {});
    if (from === to) throw new InvalidInputError(`--from and --to are both '${from}'`, {});
    const config = loadConfig();
    const open = (kind: StoreKind): VectorStore => {
      if (kind === 'embedded') return new EmbeddedVectorStore({ dir: join(config.dataDir, 'vectors') });
      if (!config.qdrant)
        throw new InvalidInputError('QDRANT_URL is not set; it names the Qdrant to migrate from or to', {});
      return new QdrantVectorStore({
        url: config.qdrant.url,
        apiKey: config.qdrant.apiKey,
        shards: config.qdrant.shards,
        replicationFactor: config.qdrant.replicationFactor,
        writeConsistency: config.qdrant.writeConsistency,
      });
    };
    if ((from === 'qdrant' || to === 'qdrant') && !config.qdrant) {
      throw new InvalidInputError('QDRANT_URL is not set; it names the Qdrant to migrate from or to', {});
    }
    const source = open(from);
    let target: VectorStore;
    try {
      target = open(to);
    } catch (e) {
      await source.close();
      throw e;
    }
    try {
      const report = await migrateVectorStore(source, target, {
        collections: options.collection,
        batchSize: options.batchSize,
        replace: options.replace,
        onProgress: (c, copied, total) => process.stderr.write(`\r${c}: ${copied}/${total} points`),
      });
      process.stderr.write('\n');
      if (options.json) process.stdout.write(`${JSON.stringify({ from, to, ...report })}\n`);
      else {
        for (const c of report.collections)
          process.stdout.write(`${c.name}: ${c.points} points copied ${from} -> ${to}\n`);
        for (const a of report.aliases) process.stdout.write(`alias ${a.alias} -> ${a.collection}\n`);
      }
    } finally {
      await source.close();
      await target.close();
    }
  }

  @Option({ flags: '--from <store>', description: 'embedded or qdrant' })
  parseFrom(v: string): StoreKind {
    return storeKind(v);
  }

  @Option({ flags: '--to <store>', description: 'embedded or qdrant' })
  parseTo(v: string): StoreKind {
    return storeKind(v);
  }

  @Option({ flags: '--collection <name>', description: 'only this collection (repeatable)' })
  parseCollection(v: string, previous: string[] = []): string[] {
    return [...previous, v];
  }

  @Option({ flags: '--batch-size <n>', description: 'points per page and per write (default 256)' })
  parseBatchSize(v: string): number {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new InvalidInputError(`--batch-size must be a positive integer, got '${v}'`, {});
    return n;
  }

  @Option({ flags: '--replace', description: 'drop target collections of the same name first' })
  parseReplace(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print one JSON object' })
  parseJson(): boolean {
    return true;
  }
}

function storeKind(v: string): StoreKind {
  if (v !== 'embedded' && v !== 'qdrant')
    throw new InvalidInputError(`unknown store '${v}' (use embedded or qdrant)`, {});
  return v;
}
