import { Module } from '@nestjs/common';

/**
 * The job processors the worker runs. Each area adds its processor module to
 * `imports` (e.g. an IngestVideoProcessorsModule whose providers carry `@OnJob`).
 */
@Module({
  imports: [],
})
export class WorkerProcessorsModule {}
