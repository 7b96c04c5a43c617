'use strict';
/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports */
// Lets a plain `node` child process load the TypeScript sources (used by the crash test's writer):
// compiles .ts with SWC on require and maps the @tessera/<lib> aliases to libs/<lib>/src.
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const swc = require('@swc/core');

const root = resolve(__dirname, '..', '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@tessera\/([\w-]+)$/.exec(request);
  if (m) request = resolve(root, 'libs', m[1], 'src', 'index.ts');
  return resolveFilename.call(this, request, ...rest);
};
Module._extensions['.ts'] = function (module, filename) {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    module: { type: 'commonjs' },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
  });
  module._compile(code, filename);
};
