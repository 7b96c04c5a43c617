import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { describeError, isTesseraError } from '@tessera/common';
import { CliModule } from './cli.module';
import { exitCodeFor } from './exit-codes';

async function main(): Promise<void> {
  await CommandFactory.run(CliModule, {
    logger: ['error', 'warn'],
    errorHandler: (err) => {
      // commander reports --help/--version as errors with exit code 0
      const code = (err as { code?: string; exitCode?: number }).code ?? '';
      // commander has already printed its own usage message
      if (code.startsWith('commander.')) process.exit((err as { exitCode?: number }).exitCode ?? 2);
      // One line on stderr and a stable exit code per error type.
      process.stderr.write(`tessera: ${describeError(err)}\n`);
      process.exit(exitCodeFor(err));
    },
    serviceErrorHandler: (err) => {
      process.stderr.write(`tessera: ${describeError(err)}\n`);
      process.exit(exitCodeFor(err));
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`tessera: ${describeError(err)}\n`);
  if (!isTesseraError(err) && err instanceof Error && process.env.TESSERA_DEBUG) console.error(err.stack);
  process.exit(exitCodeFor(err));
});
