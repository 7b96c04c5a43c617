import { resolve } from 'node:path';

/** The @tessera/* aliases of tsconfig.json, in the form vitest (vite) wants. */
const root = import.meta.dirname;
export const tesseraAliases = [
  { find: /^@tessera\/alignment\/([\w-]+)$/, replacement: resolve(root, 'libs/alignment/$1/src/index.ts') },
  { find: /^@tessera\/ingest\/([\w-]+)$/, replacement: resolve(root, 'ingest/$1/src/index.ts') },
  { find: /^@tessera\/models\/([\w-]+)$/, replacement: resolve(root, 'models/$1/src/index.ts') },
  ...['common', 'db', 'jobs', 'tensor', 'vector-store', 'eval', 'text', 'testing'].map((lib) => ({
    find: `@tessera/${lib}`,
    replacement: resolve(root, `libs/${lib}/src/index.ts`),
  })),
];
