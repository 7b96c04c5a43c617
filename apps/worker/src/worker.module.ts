import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { TesseraConfig, TesseraConfigModule } from '@tessera/common';
import { DatabaseModule } from '@tessera/db';
import { JobsModule, type JobsModuleOptions } from '@tessera/jobs';
import { WorkerProcessorsModule } from './worker-processors.module';

export interface WorkerModuleOptions {
  /** Extra modules with `@OnJob` processors (tests, plug-ins). */
  imports?: ModuleMetadata['imports'];
  worker?: JobsModuleOptions['worker'];
}

/** The worker app: catalogue, queue and processors; no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: TesseraConfig, options: WorkerModuleOptions = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        TesseraConfigModule.forRoot(config),
        LoggerModule.forRoot({ pinoHttp: { level: config.logLevel, customProps: () => ({ app: 'worker' }) } }),
        DatabaseModule.forRoot(config),
        JobsModule.forRoot({ runWorker: true, config, worker: options.worker }),
        WorkerProcessorsModule,
        ...(options.imports ?? []),
      ],
    };
  }
}
