import { describe, expect, it } from 'vitest';
import { type BackendDescription, summarizeBackend } from './backend-description';

const lavapipe: BackendDescription = {
  backend: 'webgpu',
  simd: false,
  threads: false,
  adapter: {
    vendor: 'mesa',
    architecture: 'software',
    description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
    software: true,
    limits: {
      maxStorageBufferBindingSize: 134217728,
      maxBufferSize: 4294967295,
      maxComputeWorkgroupStorageSize: 32768,
    },
  },
  fixes: [],
  tried: [{ name: 'webgpu', ok: true, reason: 'adapter mesa software' }],
};

describe('summarizeBackend', () => {
  it('names the adapter, flags a software one, and shows the three limits that bound tensor sizes', () => {
    expect(summarizeBackend(lavapipe)).toBe(
      'webgpu on mesa software (llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1) [software adapter: not a GPU],' +
        ' storage buffer 128 MiB, buffer 4096 MiB, workgroup storage 32768 B',
    );
  });

  it('puts device errors in front of the reader', () => {
    const hw: BackendDescription = {
      ...lavapipe,
      adapter: { vendor: 'nvidia', architecture: 'hopper', description: '', software: false, limits: {} },
      deviceErrors: ['Binding size (300000000) is larger than maxStorageBufferBindingSize'],
    };
    expect(summarizeBackend(hw)).toBe(
      'webgpu on nvidia hopper DEVICE ERRORS (1): Binding size (300000000) is larger than maxStorageBufferBindingSize',
    );
  });

  it('describes wasm and cpu without an adapter', () => {
    expect(summarizeBackend({ backend: 'wasm', simd: true, threads: false, fixes: [], tried: [] })).toBe(
      'wasm (simd on, threads off)',
    );
    expect(summarizeBackend({ backend: 'cpu', simd: false, threads: false, fixes: [], tried: [] })).toBe('cpu');
  });
});
