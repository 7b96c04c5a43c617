import { Provider } from '@nestjs/common';
import { ComponentHealth, HEALTH_PROBES, HealthProbe } from '@tessera/common';
import { Catalogue, CatalogueHealthProbe } from '@tessera/db';
import { JobQueue, JobQueueHealthProbe } from '@tessera/jobs';
import { summarizeBackend, TensorRuntime } from '@tessera/tensor';
import { VectorStore, VectorStoreHealthProbe } from '@tessera/vector-store';

/** Which TF.js backend won, with SIMD/threads and the GPU adapter when there is one. */
class TensorHealthProbe implements HealthProbe {
  readonly component = 'tensor';

  constructor(private readonly runtime: TensorRuntime) {}

  async check(): Promise<ComponentHealth> {
    await this.runtime.init();
    // describe() rather than init()'s answer: it carries device errors seen since start-up.
    const d = this.runtime.describe();
    return {
      // A WebGPU device error means results computed since are wrong: not ready.
      ok: !d.deviceErrors?.length,
      kind: d.backend,
      ...(d.deviceErrors?.length ? { error: `WebGPU device error: ${d.deviceErrors[0]}` } : {}),
      detail: {
        summary: summarizeBackend(d),
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
