import { it, expect } from 'vitest';
import { runTensorBench } from '../../../bench/tensor/tensor.bench';
it('bench', async () => {
  const r = await runTensorBench({ size: (process.env.SIZE as 'small') ?? 'small', backends: process.env.BACKENDS?.split(','), cpuSteps: 1 });
  console.log(JSON.stringify(r, null, 1));
  expect(r).toBeTruthy();
}, 900_000);
