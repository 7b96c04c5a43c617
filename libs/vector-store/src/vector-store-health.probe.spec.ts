import { describe, expect, it } from 'vitest';
import { runHealthProbes } from '@tessera/common';
import { EmbeddedVectorStore } from './embedded/embedded-vector-store.repository';
import { VectorStoreHealthProbe } from './vector-store-health.probe';

describe('VectorStoreHealthProbe', () => {
  it('reports the embedded store as ok with its kind and location', async () => {
    const store = new EmbeddedVectorStore();
    const report = await runHealthProbes([new VectorStoreHealthProbe(store)]);
    expect(report).toMatchObject({
      ok: true,
      components: { vectors: { ok: true, kind: 'embedded', detail: { location: ':memory:' } } },
    });
    await store.close();
  });
});
