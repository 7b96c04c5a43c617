import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initTensorBackend } from './tensor-backend';
import { loadWebGpuBackend } from './webgpu-loader';

/** A stand-in for the `webgpu` (Dawn) package with one adapter. */
function fakeDawn(adapter: Record<string, unknown> | null) {
  const calls: { deviceLimits?: unknown } = {};
  const mod = {
    globals: { GPUBufferUsageFake: 1 },
    create: () => ({
      requestAdapter: async () =>
        adapter && {
          ...adapter,
          requestDevice: async (desc: { requiredLimits?: unknown }) => {
            calls.deviceLimits = desc.requiredLimits;
            return { label: 'fake-device' };
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
    expect(soft).toEqual({ ok: false, reason: 'only a software adapter (google swiftshader)' });
    expect(swiftshader.calls.deviceLimits).toBeUndefined();
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
      limits: { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 28 },
    });
    expect(dawn.calls.deviceLimits).toEqual({ maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 28 });
    expect(tfjsWebgpu.seen[0]).toEqual({ label: 'fake-device' });
    expect(tf.getBackend()).toBe('webgpu');
    expect((globalThis as Record<string, unknown>).GPUBufferUsageFake).toBe(1);
  });
});
