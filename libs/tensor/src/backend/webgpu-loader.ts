import { Logger } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CorruptDataError, projectRoot } from '@tessera/common';
import type { WebGpuAdapterDescription } from './backend-description';

export interface WebGpuLoadResult {
  ok: boolean;
  reason: string;
  adapter?: WebGpuAdapterDescription;
}

/** Adapter limits we request for the device and report; the set TF.js's own WebGPU init asks for. */
export const WEBGPU_REPORTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  // AddN and concat bind one storage buffer per input; the default is 8.
  'maxStorageBuffersPerShaderStage',
] as const;

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
interface DeviceLike {
  addEventListener?(type: string, cb: (ev: { error?: { message?: string } }) => void): void;
  onuncapturederror?: ((ev: { error?: { message?: string } }) => void) | null;
  lost?: Promise<{ reason?: string; message?: string }>;
}

/**
 * The backend we built, kept so that switching away and back reuses its device: creating a
 * second Dawn device in one process after disposing the first crashed lavapipe (std::system_error).
 */
let built: { load: (name: string) => Promise<Record<string, unknown>>; result: WebGpuLoadResult } | undefined;

/** Errors the active WebGPU device reported outside any error scope (validation, out-of-memory, loss). */
const deviceErrors: string[] = [];

/** Messages of the device errors seen since the WebGPU backend was loaded (empty when healthy). */
export function webGpuDeviceErrors(): readonly string[] {
  return deviceErrors;
}

/** True for SwiftShader, lavapipe/llvmpipe and Dawn's fallback adapters: slower than wasm. */
export function isSoftwareAdapter(info: {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}): boolean {
  if (info.isFallbackAdapter === true) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  return /swiftshader|llvmpipe|lavapipe|\bsoftware\b/i.test(text);
}

/**
 * A device error (e.g. a tensor bigger than maxStorageBufferBindingSize) only logs a validation
 * message while the kernel returns wrong numbers. Record it, log it once, and make every later
 * read of tensor data throw, so a training step fails instead of learning from garbage.
 */
function watchDeviceErrors(device: DeviceLike, backend: tf.KernelBackend, logger: Logger): void {
  deviceErrors.length = 0;
  const record = (message: string) => {
    if (deviceErrors.length === 0) logger.error({ msg: 'WebGPU device error; tensor reads now fail', error: message });
    deviceErrors.push(message);
  };
  const onError = (ev: { error?: { message?: string } }) => record(ev.error?.message ?? 'unknown device error');
  if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
  else device.onuncapturederror = onError;
  void device.lost?.then((info) => {
    // 'destroyed' is our own dispose, not a failure.
    if (info?.reason !== 'destroyed') record(`device lost: ${info?.message ?? info?.reason ?? 'unknown'}`);
  });
  const guarded = backend as unknown as { read(dataId: object): Promise<unknown> };
  const read = guarded.read.bind(backend);
  guarded.read = async (dataId: object) => {
    const values = await read(dataId);
    if (deviceErrors.length > 0) {
      throw new CorruptDataError(`WebGPU device reported an error, results are not trustworthy: ${deviceErrors[0]}`, {
        deviceErrors: [...deviceErrors],
      });
    }
    return values;
  };
}

/**
 * WebGPU in Node: there is no `navigator.gpu`, so the adapter and device come from the
 * `webgpu` package (Dawn, over the machine's Vulkan driver) and a WebGPUBackend is built on
 * them by hand. Software adapters (SwiftShader, lavapipe) are refused unless
 * `allowSoftwareAdapter` (TESSERA_WEBGPU_ALLOW_SOFTWARE=1): they exist to test this path, and
 * are slower than wasm.
 */
export async function loadWebGpuBackend(
  opts: {
    allowSoftwareAdapter?: boolean;
    /**
     * TF.js runs small ops whose inputs are already on the CPU with CPU kernels (WEBGPU_CPU_FORWARD,
     * default true). Correctness tests pass false so every kernel really runs on the device.
     */
    cpuForward?: boolean;
    /** Module loader; tests pass fakes for 'webgpu' and '@tensorflow/tfjs-backend-webgpu'. */
    importModule?: (name: string) => Promise<Record<string, unknown>>;
  } = {},
): Promise<WebGpuLoadResult> {
  const load = opts.importModule ?? importOptional;
  const logger = new Logger('WebGpuLoader');
  if (built && built.load === load && tf.findBackendFactory('webgpu')) {
    if (built.result.adapter?.software && !opts.allowSoftwareAdapter) {
      return { ok: false, reason: 'only a software adapter; set TESSERA_WEBGPU_ALLOW_SOFTWARE=1 to use it' };
    }
    if (opts.cpuForward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', opts.cpuForward);
    if (await tf.setBackend('webgpu')) return built.result;
  }
  // Only the real package is probed first: tests pass fake modules.
  if (!opts.importModule && !opts.allowSoftwareAdapter) {
    const seen = await probeWebGpuAdapter();
    if (!seen.ok) return { ok: false, reason: seen.reason };
    if (seen.software)
      return {
        ok: false,
        reason: `only a software adapter: ${seen.reason}; set TESSERA_WEBGPU_ALLOW_SOFTWARE=1 to use it`,
      };
  }
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
    if (!adapter && opts.allowSoftwareAdapter) adapter = await gpu.requestAdapter({ forceFallbackAdapter: true });
    if (!adapter) return { ok: false, reason: 'no WebGPU adapter found (no Vulkan driver for Dawn)' };
    const info = adapter.info ?? {};
    const vendor = info.vendor || 'unknown';
    const architecture = info.architecture || 'unknown';
    const description = info.description ?? '';
    const software = isSoftwareAdapter({
      ...info,
      isFallbackAdapter: adapter.isFallbackAdapter || info.isFallbackAdapter,
    });
    const label = `${vendor} ${architecture}${description ? ` (${description})` : ''}`;
    if (software && !opts.allowSoftwareAdapter) {
      return { ok: false, reason: `only a software adapter: ${label}; set TESSERA_WEBGPU_ALLOW_SOFTWARE=1 to use it` };
    }
    const limits: Record<string, number> = {};
    for (const key of WEBGPU_REPORTED_LIMITS) {
      const v = (adapter.limits as Record<string, unknown>)[key];
      if (typeof v === 'number') limits[key] = v;
    }
    // The adapter's limits, not WebGPU's small defaults: TF.js sizes its buffers and workgroups by them.
    const device = (await adapter.requestDevice({ requiredLimits: limits })) as DeviceLike;
    let wgpuBackendMod: Record<string, unknown>;
    try {
      // Imported before navigator.gpu exists, so the package's own navigator-based factory is not registered.
      wgpuBackendMod = await load('@tensorflow/tfjs-backend-webgpu');
    } catch (e) {
      return { ok: false, reason: `package '@tensorflow/tfjs-backend-webgpu' not installed (${firstLine(e)})` };
    }
    // The package registers its flags on import.
    if (opts.cpuForward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', opts.cpuForward);
    const WebGPUBackend = wgpuBackendMod.WebGPUBackend as new (device: unknown, info?: unknown) => tf.KernelBackend;
    if (typeof WebGPUBackend !== 'function')
      return { ok: false, reason: 'tfjs-backend-webgpu exports no WebGPUBackend' };
    // WebGPUBackend's constructor checks navigator.gpu; Node 20 has no navigator, Node 22 one without gpu.
    const nav = ((globalThis as { navigator?: Record<string, unknown> }).navigator ??= {});
    if (!('gpu' in nav)) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend(
      'webgpu',
      () => {
        const backend = new WebGPUBackend(device, info);
        watchDeviceErrors(device, backend, logger);
        return backend;
      },
      3,
    );
    // A failed setBackend leaves getBackend() reporting webgpu and the factory registered: drop it.
    const ok = await tf.setBackend('webgpu');
    if (!ok) {
      tf.removeBackend('webgpu');
      return { ok: false, reason: 'setBackend(webgpu) failed' };
    }
    const result: WebGpuLoadResult = {
      ok: true,
      reason: `adapter ${label}`,
      adapter: { vendor, architecture, description, software, limits },
    };
    built = { load, result };
    return result;
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
}

// Run with `node -e <script> <path of the webgpu package>`; prints the adapter's info as JSON.
const ADAPTER_PROBE_SCRIPT = `
const dawn = require(process.argv[1]);
Object.assign(globalThis, dawn.globals || {});
const done = (v) => { process.stdout.write(JSON.stringify(v)); process.exit(0); };
dawn.create([]).requestAdapter({ powerPreference: 'high-performance' }).then(
  (a) => done(a ? { vendor: a.info && a.info.vendor, architecture: a.info && a.info.architecture,
    description: a.info && a.info.description,
    isFallbackAdapter: Boolean(a.isFallbackAdapter || (a.info && a.info.isFallbackAdapter)) } : null),
  (e) => done({ error: String((e && e.message) || e) }));
`;

/**
 * Looks at the machine's WebGPU adapter from a short-lived child process, without loading Dawn here.
 * Creating a Dawn instance prints driver notices straight to this process's stderr (lavapipe warns
 * about its limits), which would break the CLI's one-line errors on every machine that only has a
 * software driver; the child's stderr is dropped. Never throws.
 */
export async function probeWebGpuAdapter(): Promise<{ ok: boolean; reason: string; software?: boolean }> {
  let packagePath: string;
  try {
    packagePath = createRequire(join(projectRoot(), 'package.json')).resolve('webgpu');
  } catch (e) {
    return { ok: false, reason: `package 'webgpu' not installed (${firstLine(e)})` };
  }
  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, ['-e', ADAPTER_PROBE_SCRIPT, packagePath], { timeout: 30_000 }, (err, stdout) =>
      resolve(err ? JSON.stringify({ error: firstLine(err) }) : stdout),
    );
  });
  try {
    const info = JSON.parse(output) as
      | null
      | { error: string }
      | { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
    if (info === null) return { ok: false, reason: 'no WebGPU adapter found (no Vulkan driver for Dawn)' };
    if ('error' in info) return { ok: false, reason: `adapter probe failed: ${info.error}` };
    const label = `${info.vendor || 'unknown'} ${info.architecture || 'unknown'}${info.description ? ` (${info.description})` : ''}`;
    return { ok: true, reason: label, software: isSoftwareAdapter(info) };
  } catch {
    return { ok: false, reason: `adapter probe printed no result (${output.slice(0, 100)})` };
  }
}

export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}
