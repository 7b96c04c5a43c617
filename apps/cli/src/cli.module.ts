import { Module } from '@nestjs/common';
import { DoctorCommand } from './commands/doctor.command';
import { OpenApiCommand } from './commands/openapi.command';
import { ServeCommand } from './commands/serve.command';
import { BenchCommand } from './commands/bench.command';
import { VectorsCommand } from './commands/vectors.command';
import { VectorsMigrateCommand } from './commands/vectors-migrate.command';
import { VectorsStatsCommand } from './commands/vectors-stats.command';

/** Every `tessera` command is a provider here; each command file wires its own use cases. */
@Module({
  providers: [
    VectorsCommand,
    VectorsMigrateCommand,
    VectorsStatsCommand,
    BenchCommand,
    ServeCommand,
    DoctorCommand,
    OpenApiCommand,
  ],
})
export class CliModule {}
