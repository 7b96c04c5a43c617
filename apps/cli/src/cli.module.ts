import { Module } from '@nestjs/common';

/** Every `tessera` command is a provider here; each command file wires its own use cases. */
@Module({
  providers: [],
})
export class CliModule {}
