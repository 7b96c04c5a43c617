import { Test } from '@nestjs/testing';
import * as tf from '@tensorflow/tfjs';
import { InvalidInputError, TesseraConfigModule, type TesseraConfig } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { TensorModule } from '../tensor.module';
import { describeBackend, initTensorBackend } from './tensor-backend';
import { TensorRuntime } from './tensor-runtime.service';

describe('initTensorBackend', () => {
  it("'auto' reports each missing optional backend and lands on wasm with SIMD and fixes", async () => {
    const d = await initTensorBackend('auto');
    expect(d.tried.map((t) => t.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm']);
    // none of the GPU/native packages is installed here: each says why
    expect(d.tried.slice(0, 3).every((t) => !t.ok && t.reason.length > 0)).toBe(true);
    expect(d.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(d.simd).toBe(true);
    expect(d.threads).toBe(false);
    expect(d.fixes).toContain('UnsortedSegmentSum@wasm');
    expect(describeBackend()).toEqual(d);
  });

  it('switches to cpu and back; a named backend that cannot load is an error', async () => {
    expect((await initTensorBackend('cpu')).backend).toBe('cpu');
    expect(describeBackend().backend).toBe('cpu');
    await expect(initTensorBackend('tensorflow')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(initTensorBackend('nope' as never)).rejects.toThrow(/unknown TF.js backend/);
    expect((await initTensorBackend('wasm')).backend).toBe('wasm');
  });

  it('TensorRuntime picks the configured backend at module init', async () => {
    const mod = await Test.createTestingModule({
      imports: [TesseraConfigModule.forRoot({ tfBackend: 'cpu' } as TesseraConfig), TensorModule],
    }).compile();
    await mod.init();
    const rt = mod.get(TensorRuntime);
    expect(rt.describe().backend).toBe('cpu');
    expect(rt.memory().numTensors).toBeGreaterThanOrEqual(0);
    await expect(
      rt.assertNoLeak(() =>
        tf.tidy(() => {
          tf.ones([2]).add(1);
        }),
      ),
    ).resolves.toBe(0);
    await expect(rt.assertNoLeak(() => tf.ones([2]))).rejects.toThrow(/tensor leak/);
    await mod.close();
    await initTensorBackend('wasm');
  });
});
