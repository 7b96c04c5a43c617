import * as tf from '@tensorflow/tfjs';

export interface WebGpuLoadResult {
  ok: boolean;
  reason: string;
  adapter?: { vendor: string; architecture: string; limits: Record<string, number> };
}

// Optional packages are looked up at run time so their absence is a report, not a crash.
// A variable specifier keeps TypeScript from demanding their type declarations.
async function importOptional(name: string): Promise<Record<string, unknown>> {
  return (await import(name)) as Record<string, unknown>;
}

interface GpuLike {
  requestAdapter(opts?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  limits: Record<string, number>;
  requestDevice(desc?: Record<string, unknown>): Promise<unknown>;
}

/**
 * WebGPU in Node: there is no `navigator.gpu`, so the adapter and device come from the
 * `webgpu` package (Dawn) and a WebGPUBackend is built on them by hand. Software adapters
 * (SwiftShader, llvmpipe) are refused: they are slower than wasm.
 */
export async function loadWebGpuBackend(
  opts: {
    allowSoftwareAdapter?: boolean;
    /** Module loader; tests pass fakes for 'webgpu' and '@tensorflow/tfjs-backend-webgpu'. */
    importModule?: (name: string) => Promise<Record<string, unknown>>;
  } = {},
): Promise<WebGpuLoadResult> {
  const load = opts.importModule ?? importOptional;
  let dawn: Record<string, unknown>;
  try {
    dawn = await load('webgpu');
  } catch (e) {
    return { ok: false, reason: `package 'webgpu' not installed (${firstLine(e)})` };
  }
  try {
    const globals = dawn.globals as Record<string, unknown> | undefined;
    // The tfjs webgpu backend refers to GPUBufferUsage & co. as globals.
    if (globals)
      for (const [k, v] of Object.entries(globals))
        if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    const create = dawn.create as ((flags: string[]) => GpuLike) | undefined;
    if (typeof create !== 'function') return { ok: false, reason: "package 'webgpu' has no create()" };
    const gpu = create([]);
    let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    // Tests can ask for Dawn's software adapter to exercise this path on GPU-less machines.
    if (!adapter && opts.allowSoftwareAdapter) adapter = await gpu.requestAdapter({ forceFallbackAdapter: true });
    if (!adapter) return { ok: false, reason: 'no WebGPU adapter found (no GPU driver for Dawn)' };
    const info = adapter.info ?? {};
    const vendor = info.vendor ?? 'unknown';
    const architecture = info.architecture ?? info.description ?? 'unknown';
    const fallback = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true;
    const software =
      fallback || /swiftshader|llvmpipe|lavapipe/i.test(`${vendor} ${architecture} ${info.description ?? ''}`);
    if (software && !opts.allowSoftwareAdapter) {
      return { ok: false, reason: `only a software adapter (${vendor} ${architecture})` };
    }
    const limits: Record<string, number> = {};
    for (const key of [
      'maxBufferSize',
      'maxStorageBufferBindingSize',
      'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup',
    ]) {
      const v = (adapter.limits as Record<string, unknown>)[key];
      if (typeof v === 'number') limits[key] = v;
    }
    const device = await adapter.requestDevice({ requiredLimits: limits });
    let wgpuBackendMod: Record<string, unknown>;
    try {
      // The package registers a navigator-based backend on import; we replace it below.
      wgpuBackendMod = await load('@tensorflow/tfjs-backend-webgpu');
    } catch (e) {
      return { ok: false, reason: `package '@tensorflow/tfjs-backend-webgpu' not installed (${firstLine(e)})` };
    }
    const WebGPUBackend = wgpuBackendMod.WebGPUBackend as new (device: unknown, info?: unknown) => tf.KernelBackend;
    if (typeof WebGPUBackend !== 'function')
      return { ok: false, reason: 'tfjs-backend-webgpu exports no WebGPUBackend' };
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);
    // A failed setBackend leaves the factory registered; drop it so nothing picks it later.
    const ok = await tf.setBackend('webgpu');
    if (!ok) {
      tf.removeBackend('webgpu');
      return { ok: false, reason: 'setBackend(webgpu) failed' };
    }
    return { ok: true, reason: `adapter ${vendor} ${architecture}`, adapter: { vendor, architecture, limits } };
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
}

export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}
