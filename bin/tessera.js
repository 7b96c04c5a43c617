#!/usr/bin/env node
'use strict';
// The `tessera` command: runs the compiled CLI (npm run build first).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const entry = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('tessera: not built yet; run `npm run build` (or `npm run setup`) first\n');
  process.exit(1);
}
require(entry);
