import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { TesseraConfig, TesseraConfigModule } from '@tessera/common';
import { DatabaseModule } from '@tessera/db';
import { JobsModule, type JobsModuleOptions } from '@tessera/jobs';
import { PlatformModule } from '../../platform/src/platform.module';
import { WorkerProcessorsModule } from './worker-processors.module';

export interface WorkerModuleOptions {
  /** Extra modules with `@OnJob` processors (tests, plug-ins). */
  imports?: ModuleMetadata['imports'];
  /**
   * `true` (default): the shared composition root (apps/platform: catalogue, queue, media adapters,
   * ingest/import processors), as `tessera worker` uses. `false`: only catalogue + queue + `imports`,
   * with `worker` options applied (tests, custom workers).
   */
  platform?: boolean;
  /** Worker tuning; applies when `platform` is false. */
  worker?: JobsModuleOptions['worker'];
}

/** The worker app: catalogue, queue and processors; no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: TesseraConfig, options: WorkerModuleOptions = {}): DynamicModule {
    const core =
      options.platform === false
        ? [
            TesseraConfigModule.forRoot(config),
            DatabaseModule.forRoot(config),
            JobsModule.forRoot({ runWorker: true, config, worker: options.worker }),
          ]
        : [PlatformModule.forRoot(config, { runWorker: true })];
    return {
      module: WorkerModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { level: config.logLevel, customProps: () => ({ app: 'worker' }) } }),
        ...core,
        WorkerProcessorsModule,
        ...(options.imports ?? []),
      ],
    };
  }
}
