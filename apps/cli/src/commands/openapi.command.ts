import { writeFileSync } from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { loadConfig } from '@tessera/common';
import { renderOpenApiJson } from '../../../api/src/bootstrap';

/** Write the OpenAPI document the code produces (committed as openapi.json; a test compares them). */
@Command({ name: 'openapi', description: 'print or write the OpenAPI document of the API' })
export class OpenApiCommand extends CommandRunner {
  async run(_params: string[], options: { out?: string }): Promise<void> {
    const text = await renderOpenApiJson(loadConfig());
    if (options.out) writeFileSync(options.out, text);
    else process.stdout.write(text);
  }

  @Option({ flags: '-o, --out <file>', description: 'write to this file instead of stdout' })
  parseOut(value: string): string {
    return value;
  }
}
