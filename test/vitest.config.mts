import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { tesseraAliases } from '../vitest.aliases.mjs';

// Medium and e2e suites: real SQLite files, real ffmpeg, the Nest app on an ephemeral port.
export default defineConfig({
  root: resolve(import.meta.dirname, '..'),
  oxc: false,
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias: tesseraAliases },
  test: {
    include: ['test/**/*.e2e.ts', 'test/**/*.medium.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    expect: { requireAssertions: true },
  },
});
