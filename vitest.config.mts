import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { tesseraAliases } from './vitest.aliases.mjs';

// Unit specs sit beside the code. SWC keeps decorator metadata, which Nest DI needs.
export default defineConfig({
  oxc: false,
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias: tesseraAliases },
  test: {
    include: ['{apps,libs,ingest,models}/**/*.spec.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    expect: { requireAssertions: true },
  },
});
