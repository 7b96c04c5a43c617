import { Command, CommandRunner, Option } from 'nest-commander';
import { InvalidInputError, loadConfig } from '@tessera/common';
import { runBench } from '../../../../bench';

interface BenchOptions {
  json?: boolean;
  size?: string;
  steps?: number;
  webgpuSizes?: number[];
  webgpuBatch?: number;
  webgpuTokens?: number;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

/**
 * `tessera bench <area> [--json] [--size large] [--steps n] [--webgpu-sizes 64,256]`: runs one area's
 * benchmark and prints its result object. The tensor area adds WebGPU against wasm when an adapter
 * loads (a software one only with TESSERA_WEBGPU_ALLOW_SOFTWARE=1).
 */
@Command({
  name: 'bench',
  arguments: '<area>',
  description: 'run one benchmark area (tensor, vectors, ingest, s2dtw, coldstart) and print its result',
})
export class BenchCommand extends CommandRunner {
  async run(params: string[], options: BenchOptions): Promise<void> {
    const [area] = params;
    const result = await runBench(area, {
      size: options.size,
      steps: options.steps,
      webgpuDModels: options.webgpuSizes,
      webgpuBatch: options.webgpuBatch,
      webgpuTokens: options.webgpuTokens,
      allowSoftwareWebGpu: area === 'tensor' ? loadConfig().webgpuAllowSoftware : undefined,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  }

  @Option({ flags: '--json', description: 'print the result as one line of JSON' })
  parseJson(): boolean {
    return true;
  }

  @Option({
    flags: '--size <size>',
    description: "problem size preset, e.g. 'large' (tensor: d=256, 4 layers, 64x128 tokens)",
  })
  parseSize(value: string): string {
    return value;
  }

  @Option({ flags: '--steps <n>', description: 'tensor: timed steps per backend in the WebGPU comparison (default 3)' })
  parseSteps(value: string): number {
    return positiveInt('--steps', value);
  }

  @Option({
    flags: '--webgpu-sizes <list>',
    description: "tensor: model widths for WebGPU vs wasm, comma-separated (default '64,256'; 'none' skips)",
  })
  parseWebgpuSizes(value: string): number[] {
    if (value === 'none') return [];
    return value.split(',').map((v) => positiveInt('--webgpu-sizes', v.trim()));
  }

  @Option({ flags: '--webgpu-batch <n>', description: 'tensor: batch rows for WebGPU vs wasm (default 64)' })
  parseWebgpuBatch(value: string): number {
    return positiveInt('--webgpu-batch', value);
  }

  @Option({ flags: '--webgpu-tokens <n>', description: 'tensor: tokens per row for WebGPU vs wasm (default 128)' })
  parseWebgpuTokens(value: string): number {
    return positiveInt('--webgpu-tokens', value);
  }
}
