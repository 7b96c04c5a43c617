import type { TfBackendChoice } from '@tessera/common';

/** One backend the runtime tried, and why it did or did not load. */
export interface BackendAttempt {
  name: Exclude<TfBackendChoice, 'auto'>;
  ok: boolean;
  reason: string;
}

/** What `tessera doctor` and the health endpoint report about the tensor runtime. */
export interface BackendDescription {
  /** tf.getBackend() after init, e.g. 'wasm', 'cpu', 'tensorflow', 'webgpu'. */
  backend: string;
  simd: boolean;
  threads: boolean;
  adapter?: { vendor: string; architecture: string; limits: Record<string, number> };
  /** Kernel and gradient fixes registered for this backend. */
  fixes: string[];
  tried: BackendAttempt[];
}
