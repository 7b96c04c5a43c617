/* eslint-disable @typescript-eslint/no-require-imports */
/* global require, __dirname */
'use strict';
// Lets a child process run the TypeScript sources directly (`node -r ./ts-register.cjs x.ts`):
// SWC compiles .ts to CommonJS with decorator metadata, and @tessera/* aliases map to src.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '..', '..', '..');
const libs = ['common', 'db', 'jobs', 'tensor', 'vector-store', 'eval', 'text', 'testing'];

function mapAlias(request) {
  let m = /^@tessera\/(alignment|ingest|models)\/([\w-]+)$/.exec(request);
  if (m) {
    const base = m[1] === 'alignment' ? 'libs/alignment' : m[1];
    return path.join(root, base, m[2], 'src', 'index.ts');
  }
  m = /^@tessera\/([\w-]+)$/.exec(request);
  if (m && libs.includes(m[1])) return path.join(root, 'libs', m[1], 'src', 'index.ts');
  return undefined;
}

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolveWithAliases(request, parent, ...rest) {
  const mapped = mapAlias(request);
  return originalResolve.call(this, mapped ?? request, parent, ...rest);
};

Module._extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
