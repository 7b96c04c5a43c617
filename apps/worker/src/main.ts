import 'reflect-metadata';
import { describeError, isTesseraError, loadConfig } from '@tessera/common';
import { bootstrapWorker } from './bootstrap-worker';

// Standalone entry (`node dist/apps/worker/src/main.js`); `tessera worker` will be the usual way in.
bootstrapWorker(loadConfig()).catch((err: unknown) => {
  process.stderr.write(`tessera worker: ${describeError(err)}\n`);
  process.exit(
    isTesseraError(err) && err.code === 'corrupt_data'
      ? 10
      : isTesseraError(err) && err.code === 'config_invalid'
        ? 3
        : 1,
  );
});
