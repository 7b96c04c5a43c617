import { InvalidInputError } from '@tessera/common';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS, knownBenchAreas, runBench } from '../../../../bench';
import { BenchCommand } from './bench.command';

describe('tessera bench', () => {
  it('dispatches by area and rejects an unknown one, naming the known areas', async () => {
    expect(knownBenchAreas()).toContain('tensor');
    expect(typeof BENCHMARKS.tensor).toBe('function');
    await expect(runBench('nope')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(runBench('nope')).rejects.toThrow(/known: .*tensor/);
    // prototype keys are not areas
    await expect(runBench('toString')).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('the command passes the error through (the CLI maps it to exit code 2)', async () => {
    const cmd = new BenchCommand();
    await expect(cmd.run(['nope'], { json: true })).rejects.toBeInstanceOf(InvalidInputError);
    expect(cmd.parseSize('large')).toBe('large');
    expect(cmd.parseJson()).toBe(true);
    expect(cmd.parseWebgpuSizes('64, 256')).toEqual([64, 256]);
    expect(cmd.parseWebgpuSizes('none')).toEqual([]);
    expect(cmd.parseSteps('2')).toBe(2);
    expect(() => cmd.parseSteps('0')).toThrow(InvalidInputError);
    expect(() => cmd.parseWebgpuSizes('64,x')).toThrow(/--webgpu-sizes/);
  });
});
