import type { ComponentHealth, HealthProbe } from '@tessera/common';
import { VectorStore } from './vector-store.port';

/** `/health/ready` and `tessera doctor` entry for the vector store: which kind answered, and whether it did. */
export class VectorStoreHealthProbe implements HealthProbe {
  readonly component = 'vectors';

  constructor(private readonly store: VectorStore) {}

  async check(): Promise<ComponentHealth> {
    const h = await this.store.ping();
    return {
      ok: h.ok,
      kind: h.kind,
      detail: { ...this.store.describe().detail, location: this.store.describe().location, ...h.detail },
      error: h.error,
    };
  }
}
