import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, projectRoot } from '@tessera/common';
import { renderOpenApiJson } from '../../apps/api/src/bootstrap';

describe('committed openapi.json', () => {
  it('matches the document the code produces (regenerate with `npx tessera openapi --out openapi.json`)', async () => {
    const committed = readFileSync(join(projectRoot(), 'openapi.json'), 'utf8');
    const generated = await renderOpenApiJson(loadConfig({ TESSERA_DATA_DIR: '/tmp/tessera-openapi-test' }));
    expect(JSON.parse(generated)).toEqual(JSON.parse(committed));
  });
});
