import { Module } from '@nestjs/common';
import { DoctorCommand } from './commands/doctor.command';
import { OpenApiCommand } from './commands/openapi.command';
import { ServeCommand } from './commands/serve.command';
import { IngestCommand } from './commands/ingest.command';
import { ImportCommand } from './commands/import.command';
import { WorkerCommand } from './commands/worker.command';
import { JobsCommand } from './commands/jobs.command';
import { DemoCommand } from './commands/demo.command';
import { TrainCommand } from './commands/train.command';
import { EmbedCommand } from './commands/embed.command';
import { SearchCommand } from './commands/search.command';
import { EvalCommand } from './commands/eval.command';
import { AlignCommand } from './commands/align.command';
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
    IngestCommand,
    ImportCommand,
    WorkerCommand,
    JobsCommand,
    DemoCommand,
    TrainCommand,
    EmbedCommand,
    SearchCommand,
    EvalCommand,
    AlignCommand,
    DoctorCommand,
    OpenApiCommand,
  ],
})
export class CliModule {}
