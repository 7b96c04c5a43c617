import { writeFileSync } from 'node:fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { loadConfig } from '@tessera/common';
import { createApiApp } from '../../../api/src/bootstrap';
import { buildOpenApiDocument } from '../../../api/src/openapi';

/** Write the OpenAPI document the code produces (committed as openapi.json; a test compares them). */
@Command({ name: 'openapi', description: 'print or write the OpenAPI document of the API' })
export class OpenApiCommand extends CommandRunner {
  async run(_params: string[], options: { out?: string }): Promise<void> {
    const app = await createApiApp(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }));
    await app.init();
    const text = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
    await app.close();
    if (options.out) writeFileSync(options.out, text);
    else process.stdout.write(text);
  }

  @Option({ flags: '-o, --out <file>', description: 'write to this file instead of stdout' })
  parseOut(value: string): string {
    return value;
  }
}
