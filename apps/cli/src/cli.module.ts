import { Module } from '@nestjs/common';
import { DoctorCommand } from './commands/doctor.command';
import { OpenApiCommand } from './commands/openapi.command';
import { ServeCommand } from './commands/serve.command';

/** Every `tessera` command is a provider here; each command file wires its own use cases. */
@Module({
  providers: [ServeCommand, DoctorCommand, OpenApiCommand],
})
export class CliModule {}
