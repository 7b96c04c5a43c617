import { ConflictError, CorruptDataError } from '@tessera/common';
import type { VectorStore } from './vector-store.port';
import type { PointId, PointStruct } from './vector-store.types';

export interface MigrationOptions {
  /** Collections to copy; default all. */
  collections?: string[];
  /** Points per page read and per write. Default 256. */
  batchSize?: number;
  /** Drop a target collection of the same name first instead of refusing. */
  replace?: boolean;
  onProgress?: (collection: string, copied: number, total: number) => void;
}

export interface MigrationReport {
  collections: { name: string; points: number }[];
  aliases: { alias: string; collection: string }[];
}

/**
 * Copies collections (parameters, points with vectors and payloads) and then their aliases from
 * one store to another, checking the count on arrival. Works in either direction between the
 * embedded store and Qdrant because both speak the same port.
 */
export async function migrateVectorStore(
  from: VectorStore,
  to: VectorStore,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  const batchSize = options.batchSize ?? 256;
  const names = options.collections ?? (await from.listCollections());
  const report: MigrationReport = { collections: [], aliases: [] };
  for (const name of names) {
    const info = await from.getCollection(name);
    if (await to.collectionExists(name)) {
      if (!options.replace)
        throw new ConflictError(`collection '${name}' already exists in the target; pass --replace to overwrite it`, {
          collection: name,
        });
      await to.deleteCollection(name);
    }
    await to.createCollection(name, { vectors: info.vectors });
    let offset: PointId | null = null;
    let copied = 0;
    do {
      const page: Awaited<ReturnType<VectorStore['scroll']>> = await from.scroll(name, {
        limit: batchSize,
        offset,
        withPayload: true,
        withVector: true,
      });
      const points: PointStruct[] = page.points.map((p) => ({ id: p.id, vector: p.vector!, payload: p.payload ?? {} }));
      if (points.length > 0) await to.upsert(name, points, { batchSize });
      copied += points.length;
      options.onProgress?.(name, copied, info.pointsCount);
      offset = page.nextPageOffset;
    } while (offset !== null);
    const arrived = await to.count(name);
    if (arrived !== copied) {
      throw new CorruptDataError(`collection '${name}': copied ${copied} points but the target holds ${arrived}`, {
        collection: name,
      });
    }
    report.collections.push({ name, points: copied });
  }
  const migrated = new Set(names);
  for (const a of await from.listAliases()) {
    if (!migrated.has(a.collection)) continue;
    await to.swapAlias(a.alias, a.collection);
    report.aliases.push(a);
  }
  return report;
}
