import type { TfBackendChoice } from '@tessera/common';

/** One backend the runtime tried, and why it did or did not load. */
export interface BackendAttempt {
  name: Exclude<TfBackendChoice, 'auto'>;
  ok: boolean;
  reason: string;
}

/** The GPU behind the `webgpu` backend, as Dawn reports it. */
export interface WebGpuAdapterDescription {
  vendor: string;
  architecture: string;
  /** Driver's own words, e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' or the GPU's product name. */
  description: string;
  /** SwiftShader, lavapipe or a fallback adapter: a CPU rasteriser, correct but not fast. */
  software: boolean;
  /** maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupStorageSize, ... in bytes or counts. */
  limits: Record<string, number>;
}

/** What `tessera doctor` and the health endpoint report about the tensor runtime. */
export interface BackendDescription {
  /** tf.getBackend() after init, e.g. 'wasm', 'cpu', 'tensorflow', 'webgpu'. */
  backend: string;
  simd: boolean;
  threads: boolean;
  adapter?: WebGpuAdapterDescription;
  /** Uncaptured errors the WebGPU device reported since init; any entry makes tensor reads throw. */
  deviceErrors?: string[];
  /** Kernel and gradient fixes registered for this backend. */
  fixes: string[];
  tried: BackendAttempt[];
}

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${Math.round(bytes / 2 ** 20)} MiB` : `${bytes} B`;
}

/**
 * One line for logs and `tessera doctor`, e.g.
 * `webgpu on nvidia ada (NVIDIA L4), storage buffer 2048 MiB, buffer 4096 MiB, workgroup storage 32768 B`.
 */
export function summarizeBackend(d: BackendDescription): string {
  const parts: string[] = [d.backend];
  if (d.backend === 'wasm') parts.push(`(simd ${d.simd ? 'on' : 'off'}, threads ${d.threads ? 'on' : 'off'})`);
  if (d.adapter) {
    const a = d.adapter;
    const desc = a.description ? ` (${a.description})` : '';
    parts.push(`on ${a.vendor} ${a.architecture}${desc}${a.software ? ' [software adapter: not a GPU]' : ''}`);
    const l = a.limits;
    const shown: string[] = [];
    if (l.maxStorageBufferBindingSize !== undefined) shown.push(`storage buffer ${mib(l.maxStorageBufferBindingSize)}`);
    if (l.maxBufferSize !== undefined) shown.push(`buffer ${mib(l.maxBufferSize)}`);
    if (l.maxComputeWorkgroupStorageSize !== undefined)
      shown.push(`workgroup storage ${l.maxComputeWorkgroupStorageSize} B`);
    if (shown.length) parts[parts.length - 1] += `, ${shown.join(', ')}`;
  }
  if (d.deviceErrors?.length) parts.push(`DEVICE ERRORS (${d.deviceErrors.length}): ${d.deviceErrors[0]}`);
  return parts.join(' ');
}
