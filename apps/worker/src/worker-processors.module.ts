import { Module } from '@nestjs/common';

/**
 * Job processors the worker runs besides those of apps/platform (ingest, dataset import),
 * e.g. train/embed/evaluate processor modules whose providers carry `@OnJob`.
 */
@Module({
  imports: [],
})
export class WorkerProcessorsModule {}
