import { Command, CommandRunner, Option } from 'nest-commander';
import { runBench } from '../../../../bench';

/** `tessera bench <area> [--json] [--size large]`: runs one area's benchmark and prints its result object. */
@Command({
  name: 'bench',
  arguments: '<area>',
  description: 'run one benchmark area (tensor, s2dtw, vectors, ingest) and print its result',
})
export class BenchCommand extends CommandRunner {
  async run(params: string[], options: { json?: boolean; size?: string }): Promise<void> {
    const [area] = params;
    const result = await runBench(area, {
      size: options.size,
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
}
