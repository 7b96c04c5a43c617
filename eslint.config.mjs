import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import direction: apps -> ingest, models -> libs -> libs/common. Ingest and models never import each other.
const noAppImports = { group: ['**/apps/**', '@tessera/apps/*'], message: 'libraries never import apps' };
export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'bin/**', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      // DTO fields need explicit types: decorator metadata (OpenAPI, validation) reads them
      '@typescript-eslint/no-inferrable-types': 'off',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noAppImports,
            { group: ['@tessera/ingest/*', '@tessera/models/*'], message: 'libs never import ingest or models' },
          ],
        },
      ],
    },
  },
  {
    files: ['ingest/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noAppImports, { group: ['@tessera/models/*'], message: 'ingest never imports models' }] },
      ],
    },
  },
  {
    files: ['models/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noAppImports, { group: ['@tessera/ingest/*'], message: 'models never import ingest' }] },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
