import { Command, CommandRunner } from 'nest-commander';
import { VectorsMigrateCommand } from './vectors-migrate.command';
import { VectorsStatsCommand } from './vectors-stats.command';

/** `tessera vectors <migrate|stats>`. */
@Command({
  name: 'vectors',
  description: 'vector store tools: migrate between the embedded store and Qdrant, print stats',
  subCommands: [VectorsMigrateCommand, VectorsStatsCommand],
})
export class VectorsCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
