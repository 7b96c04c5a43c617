import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, type TfBackendChoice } from '@tessera/common';
import { installKernelFixes } from '../kernels/kernel-fix.registry';
import type { BackendAttempt, BackendDescription } from './backend-description';
import { resolveWasmDir } from './wasm-paths';
import { firstLine, loadWebGpuBackend, webGpuDeviceErrors } from './webgpu-loader';

type ConcreteBackend = Exclude<TfBackendChoice, 'auto'>;

/** Order tried for 'auto': fastest first, `cpu` always loads. */
export const AUTO_BACKEND_ORDER: readonly ConcreteBackend[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];
const KNOWN: readonly string[] = ['auto', ...AUTO_BACKEND_ORDER];

export interface InitTensorBackendOptions {
  /** Accept a software WebGPU adapter (lavapipe, SwiftShader): TESSERA_WEBGPU_ALLOW_SOFTWARE, tests of the GPU path. */
  allowSoftwareWebGpu?: boolean;
  /** WebGPU only: false runs every kernel on the device (TF.js flag WEBGPU_CPU_FORWARD); tests. */
  webGpuCpuForward?: boolean;
}

// The TF.js engine is process-wide, so what we chose is process-wide too.
let current: BackendDescription | undefined;

async function importOptional(name: string): Promise<unknown> {
  return import(name);
}

async function tryBackend(
  name: ConcreteBackend,
  opts: InitTensorBackendOptions,
): Promise<BackendAttempt & { adapter?: BackendDescription['adapter'] }> {
  try {
    switch (name) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        try {
          // Importing registers the 'tensorflow' backend (libtensorflow bindings).
          await importOptional(pkg);
        } catch (e) {
          return { name, ok: false, reason: `package '${pkg}' not loadable (${firstLine(e)})` };
        }
        if (!tf.findBackendFactory('tensorflow')) return { name, ok: false, reason: `${pkg} registered no backend` };
        const ok = await tf.setBackend('tensorflow');
        return { name, ok, reason: ok ? pkg : 'setBackend(tensorflow) failed' };
      }
      case 'webgpu': {
        const r = await loadWebGpuBackend({
          allowSoftwareAdapter: opts.allowSoftwareWebGpu,
          cpuForward: opts.webGpuCpuForward,
        });
        return { name, ok: r.ok, reason: r.reason, adapter: r.adapter };
      }
      case 'wasm': {
        const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
        // Threads need worker scripts TF.js cannot locate in Node; SIMD is detected.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        if (tf.engine().registry.wasm === undefined) wasm.setWasmPaths(resolveWasmDir());
        const ok = await tf.setBackend('wasm');
        return { name, ok, reason: ok ? `binaries in ${resolveWasmDir()}` : 'setBackend(wasm) failed' };
      }
      case 'cpu': {
        const ok = await tf.setBackend('cpu');
        return { name, ok, reason: ok ? 'plain JS kernels' : 'setBackend(cpu) failed' };
      }
    }
  } catch (e) {
    return { name, ok: false, reason: firstLine(e) };
  }
}

/**
 * Picks the TF.js backend: the named one, or for 'auto' the first of tfjs-node-gpu, WebGPU
 * (hardware adapter only), tfjs-node, wasm (SIMD, no threads), cpu that really loads.
 * Installs the kernel and gradient fixes for it. Safe to call again to switch backends.
 * A named backend that fails to load throws; 'auto' never does.
 */
export async function initTensorBackend(
  choice: TfBackendChoice = 'auto',
  opts: InitTensorBackendOptions = {},
): Promise<BackendDescription> {
  if (!KNOWN.includes(choice)) {
    throw new InvalidInputError(`unknown TF.js backend '${choice}'; expected one of ${KNOWN.join(', ')}`, { choice });
  }
  const order = choice === 'auto' ? AUTO_BACKEND_ORDER : [choice];
  const tried: BackendAttempt[] = [];
  let adapter: BackendDescription['adapter'];
  for (const name of order) {
    const r = await tryBackend(name, opts);
    tried.push({ name: r.name, ok: r.ok, reason: r.reason });
    if (r.ok) {
      adapter = r.adapter;
      break;
    }
  }
  const winner = tried.find((t) => t.ok);
  if (!winner) {
    throw new InvalidInputError(
      `TF.js backend '${choice}' could not be loaded: ${tried.map((t) => t.reason).join('; ')}`,
      {
        choice,
        tried,
      },
    );
  }
  await tf.ready();
  const backend = tf.getBackend();
  const fixes = installKernelFixes(backend);
  current = {
    backend,
    simd: backend === 'wasm' ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : false,
    threads: backend === 'wasm' ? tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : backend === 'tensorflow',
    ...(adapter ? { adapter } : {}),
    fixes,
    tried,
  };
  return current;
}

/** What initTensorBackend chose, or the engine's state when it was never called. */
export function describeBackend(): BackendDescription {
  // engine().backendName does not initialise a backend, unlike tf.getBackend().
  const backend = (tf.engine() as unknown as { backendName: string | null }).backendName ?? 'none';
  if (current && current.backend === backend) {
    const errors = backend === 'webgpu' ? webGpuDeviceErrors() : [];
    return errors.length ? { ...current, deviceErrors: [...errors] } : current;
  }
  return { backend, simd: false, threads: false, fixes: [], tried: current?.tried ?? [] };
}
