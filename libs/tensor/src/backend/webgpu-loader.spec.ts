import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from './tensor-backend';
import { CorruptDataError } from '@tessera/common';
import { isSoftwareAdapter, loadWebGpuBackend, webGpuDeviceErrors } from './webgpu-loader';

/** A stand-in for the `webgpu` (Dawn) package with one adapter. */
function fakeDawn(adapter: Record<string, unknown> | null) {
  const calls: { deviceLimits?: unknown; onError?: (ev: { error?: { message?: string } }) => void } = {};
  const mod = {
    globals: { GPUBufferUsageFake: 1 },
    create: () => ({
      requestAdapter: async () =>
        adapter && {
          ...adapter,
          requestDevice: async (desc: { requiredLimits?: unknown }) => {
            calls.deviceLimits = desc.requiredLimits;
            return {
              label: 'fake-device',
              addEventListener: (type: string, cb: (ev: { error?: { message?: string } }) => void) => {
                if (type === 'uncapturederror') calls.onError = cb;
              },
            };
          },
        },
    }),
  };
  return { mod, calls };
}

/** A KernelBackend subclass standing in for WebGPUBackend; records its constructor arguments. */
function fakeTfjsWebgpu() {
  const seen: unknown[] = [];
  class FakeWebGPUBackend extends tf.KernelBackend {
    constructor(device: unknown, info: unknown) {
      super();
      seen.push(device, info);
    }
    override dispose(): void {}
    override async read(): Promise<Float32Array> {
      return new Float32Array([1, 2]);
    }
  }
  return { mod: { WebGPUBackend: FakeWebGPUBackend }, seen };
}

const limits = { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 28, somethingElse: 3 };

describe('loadWebGpuBackend', () => {
  afterAll(async () => {
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    await initTensorBackend('wasm');
  });

  it('reports a missing package instead of throwing', async () => {
    const r = await loadWebGpuBackend({
      importModule: async (name) => {
        throw new Error(`Cannot find package '${name}'`);
      },
    });
    expect(r).toEqual({ ok: false, reason: "package 'webgpu' not installed (Cannot find package 'webgpu')" });
  });

  it('refuses a missing or software adapter (unless tests allow it)', async () => {
    const none = await loadWebGpuBackend({ importModule: async () => fakeDawn(null).mod });
    expect(none.ok).toBe(false);
    expect(none.reason).toMatch(/no WebGPU adapter/);
    const swiftshader = fakeDawn({ info: { vendor: 'google', architecture: 'swiftshader' }, limits });
    const soft = await loadWebGpuBackend({ importModule: async () => swiftshader.mod });
    expect(soft).toEqual({
      ok: false,
      reason: 'only a software adapter: google swiftshader; set TESSERA_WEBGPU_ALLOW_SOFTWARE=1 to use it',
    });
    expect(swiftshader.calls.deviceLimits).toBeUndefined();
  });

  it('recognises lavapipe, SwiftShader and fallback adapters as software, a GPU as not', () => {
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7' })).toBe(
      true,
    );
    expect(isSoftwareAdapter({ vendor: 'google', architecture: '', description: 'SwiftShader Device' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'x', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ada', description: 'NVIDIA L4' })).toBe(false);
  });

  it('uses a software adapter when asked, and reports it as software', async () => {
    const dawn = fakeDawn({
      info: { vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7' },
      limits,
    });
    const r = await loadWebGpuBackend({
      allowSoftwareAdapter: true,
      importModule: async (name) => (name === 'webgpu' ? dawn.mod : fakeTfjsWebgpu().mod),
    });
    expect(r.ok).toBe(true);
    expect(r.adapter?.software).toBe(true);
    expect(r.adapter?.description).toBe('llvmpipe: Mesa 25.0.7');
  });

  it('after an uncaptured device error, every tensor read throws CorruptDataError', async () => {
    const dawn = fakeDawn({ info: { vendor: 'nvidia', architecture: 'hopper' }, limits });
    const r = await loadWebGpuBackend({
      importModule: async (name) => (name === 'webgpu' ? dawn.mod : fakeTfjsWebgpu().mod),
    });
    expect(r.ok).toBe(true);
    const backend = tf.backend() as unknown as { read(id: object): Promise<Float32Array> };
    expect(await backend.read({})).toEqual(new Float32Array([1, 2]));
    expect(webGpuDeviceErrors()).toEqual([]);
    dawn.calls.onError?.({ error: { message: 'Binding size is larger than maxStorageBufferBindingSize' } });
    expect(webGpuDeviceErrors()).toEqual(['Binding size is larger than maxStorageBufferBindingSize']);
    await expect(backend.read({})).rejects.toBeInstanceOf(CorruptDataError);
    await expect(backend.read({})).rejects.toThrow(/maxStorageBufferBindingSize/);
  });

  it('builds the backend on a hardware adapter with its limits, and selects it', async () => {
    const dawn = fakeDawn({ info: { vendor: 'nvidia', architecture: 'hopper' }, limits });
    const tfjsWebgpu = fakeTfjsWebgpu();
    const r = await loadWebGpuBackend({
      importModule: async (name) => (name === 'webgpu' ? dawn.mod : tfjsWebgpu.mod),
    });
    expect(r.ok).toBe(true);
    expect(r.adapter).toEqual({
      vendor: 'nvidia',
      architecture: 'hopper',
      description: '',
      software: false,
      limits: { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 28 },
    });
    expect(dawn.calls.deviceLimits).toEqual({ maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 28 });
    expect(tfjsWebgpu.seen[0]).toMatchObject({ label: 'fake-device' });
    expect(tf.getBackend()).toBe('webgpu');
    expect((globalThis as Record<string, unknown>).GPUBufferUsageFake).toBe(1);
  });
});
