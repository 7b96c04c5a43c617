import 'reflect-metadata';
import { describeError, loadConfig } from '@tessera/common';
import { startApi } from './bootstrap';

// Standalone entry (`node dist/apps/api/src/main.js`); `tessera serve` is the usual way in.
startApi(loadConfig()).catch((err: unknown) => {
  process.stderr.write(`tessera api: ${describeError(err)}\n`);
  process.exit(1);
});
