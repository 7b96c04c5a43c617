import { Provider } from '@nestjs/common';
import { ComponentHealth, HEALTH_PROBES, HealthProbe } from '@tessera/common';
import { Catalogue, CatalogueHealthProbe } from '@tessera/db';
import { JobQueue, JobQueueHealthProbe } from '@tessera/jobs';
import { TensorRuntime } from '@tessera/tensor';
import { VectorStore, VectorStoreHealthProbe } from '@tessera/vector-store';

/** Which TF.js backend won, with SIMD/threads and the GPU adapter when there is one. */
class TensorHealthProbe implements HealthProbe {
  readonly component = 'tensor';

  constructor(private readonly runtime: TensorRuntime) {}

  async check(): Promise<ComponentHealth> {
    const d = await this.runtime.init();
    return {
      ok: true,
      kind: d.backend,
      detail: {
        simd: d.simd,
        threads: d.threads,
        adapter: d.adapter,
        fixes: d.fixes,
        tried: d.tried,
        ...this.runtime.memory(),
      },
    };
  }
}

/** The readiness probes shared by `/health/ready` and `tessera doctor`. */
export const platformHealthProbes: Provider = {
  provide: HEALTH_PROBES,
  inject: [Catalogue, JobQueue, VectorStore, TensorRuntime],
  useFactory: (catalogue: Catalogue, queue: JobQueue, vectors: VectorStore, tensor: TensorRuntime): HealthProbe[] => [
    new CatalogueHealthProbe(catalogue),
    new VectorStoreHealthProbe(vectors),
    new JobQueueHealthProbe(queue),
    new TensorHealthProbe(tensor),
  ],
};
