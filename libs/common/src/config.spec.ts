import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { ConfigError } from './errors';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.database).toEqual({ kind: 'sqlite', path: expect.stringMatching(/data\/tessera\.db$/) });
    expect(c.qdrant).toBeUndefined();
    expect(c.tfBackend).toBe('auto');
    expect(c.webgpuAllowSoftware).toBe(false);
    expect(loadConfig({ TESSERA_WEBGPU_ALLOW_SOFTWARE: '1' }).webgpuAllowSoftware).toBe(true);
    expect(c.apiKeys).toEqual([]);
  });

  it('lists every bad key at once', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'abc', QDRANT_URL: 'not a url', TESSERA_TF_BACKEND: 'tpu' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('PORT');
    expect(msg).toContain('QDRANT_URL');
    expect(msg).toContain('TESSERA_TF_BACKEND');
  });

  it('parses scale-out settings and API keys', () => {
    const c = loadConfig({
      QDRANT_URL: 'http://localhost:6333',
      QDRANT_SHARDS: '4',
      TESSERA_API_KEYS: 'a, b,,c',
      DATABASE_URL: 'sqlite:/tmp/x.db',
    });
    expect(c.qdrant?.shards).toBe(4);
    expect(c.apiKeys).toEqual(['a', 'b', 'c']);
    expect(c.database).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
  });
});
