import { it, expect } from 'vitest';
import { runTensorBench } from '../../../bench/tensor/tensor.bench';
it('bench', async () => {
  const r = await runTensorBench({
    size: (process.env.SIZE as 'small') ?? 'small',
    backends: process.env.BACKENDS?.split(','),
  });
  console.log('RESULT ' + JSON.stringify(r));
  expect(r).toBeTruthy();
}, 1_800_000);
