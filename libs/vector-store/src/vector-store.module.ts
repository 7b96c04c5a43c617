import { join } from 'node:path';
import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { TesseraConfig } from '@tessera/common';
import { EmbeddedVectorStore } from './embedded/embedded-vector-store.repository';
import { QdrantVectorStore } from './qdrant/qdrant-vector-store.repository';
import { VectorStore } from './vector-store.port';

/** Builds the store the configuration asks for: Qdrant when `QDRANT_URL` is set, else embedded. */
export function createVectorStore(config: Pick<TesseraConfig, 'dataDir' | 'qdrant'>): VectorStore {
  if (config.qdrant) {
    return new QdrantVectorStore({
      url: config.qdrant.url,
      apiKey: config.qdrant.apiKey,
      shards: config.qdrant.shards,
      replicationFactor: config.qdrant.replicationFactor,
      writeConsistency: config.qdrant.writeConsistency,
    });
  }
  return new EmbeddedVectorStore({ dir: join(config.dataDir, 'vectors') });
}

/** Closes the store with the app, which also checkpoints the embedded index. */
@Injectable()
class VectorStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(VectorStore) private readonly store: VectorStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class VectorStoreModule {
  /** Provides `VectorStore` (inject it by the abstract class). */
  static forRoot(config: TesseraConfig): DynamicModule {
    return {
      module: VectorStoreModule,
      global: true,
      providers: [{ provide: VectorStore, useFactory: () => createVectorStore(config) }, VectorStoreCloser],
      exports: [VectorStore],
    };
  }
}
