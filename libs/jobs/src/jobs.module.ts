import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig, type TesseraConfig } from '@tessera/common';
import { Catalogue } from '@tessera/db';
import { BullmqJobQueue } from './bullmq-job-queue.repository';
import { BullmqJobWorker, type BullmqJobWorkerOptions } from './bullmq-job-worker';
import { EmbeddedJobQueue } from './embedded-job-queue.repository';
import { EmbeddedJobWorker, type EmbeddedJobWorkerOptions } from './embedded-job-worker';
import { JobHandlerExplorer } from './job-handler.explorer';
import { JobHandlerRegistry } from './job-handler.registry';
import { JobQueue } from './job-queue.port';
import { JobWorker } from './job-worker.port';

export interface JobsModuleOptions {
  /** Start a worker at bootstrap (the worker app); the API and CLI only enqueue. */
  runWorker?: boolean;
  /** Job names processed by another app, so this one may enqueue them. */
  externalJobNames?: string[];
  worker?: EmbeddedJobWorkerOptions & BullmqJobWorkerOptions;
  /** Defaults to the config from TesseraConfigModule. */
  config?: TesseraConfig;
  /** BullMQ queue name (default `tessera`). */
  queueName?: string;
}

const OPTIONS = 'TESSERA_JOBS_OPTIONS';
const CONFIG = 'TESSERA_JOBS_CONFIG';

/** Starts the worker after every module is up; stops it before the database closes. */
@Injectable()
class JobsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('JobsModule');

  constructor(
    @Inject(OPTIONS) private readonly options: JobsModuleOptions,
    @Inject(JobWorker) private readonly worker: JobWorker,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(JobHandlerRegistry) private readonly registry: JobHandlerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log({ msg: 'job queue ready', backend: this.queue.backend, handlers: this.registry.names() });
    if (this.options.runWorker) {
      if (this.registry.names().length === 0)
        this.logger.warn({ msg: 'worker started with no @OnJob processors; it will take no jobs' });
      await this.worker.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.stop({ graceMs: this.options.worker?.shutdownGraceMs });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * Job queue + processor discovery. Uses BullMQ when the config has a Redis URL,
 * else the embedded queue in the catalogue database (needs DatabaseModule).
 */
@Module({})
export class JobsModule {
  static forRoot(options: JobsModuleOptions = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: OPTIONS, useValue: options },
      options.config
        ? { provide: CONFIG, useValue: options.config }
        : { provide: CONFIG, useExisting: AppConfig.TOKEN },
      {
        provide: JobHandlerRegistry,
        useFactory: () => {
          const r = new JobHandlerRegistry();
          r.declareExternal(...(options.externalJobNames ?? []));
          return r;
        },
      },
      JobHandlerExplorer,
      {
        provide: JobQueue,
        useFactory: (cfg: TesseraConfig, registry: JobHandlerRegistry, catalogue: Catalogue) =>
          cfg.redisUrl
            ? new BullmqJobQueue({ redisUrl: cfg.redisUrl, queueName: options.queueName, registry })
            : new EmbeddedJobQueue(catalogue, { registry }),
        inject: [CONFIG, JobHandlerRegistry, Catalogue],
      },
      {
        provide: JobWorker,
        useFactory: (queue: JobQueue, registry: JobHandlerRegistry) =>
          queue instanceof BullmqJobQueue
            ? new BullmqJobWorker(queue, registry, options.worker)
            : new EmbeddedJobWorker(queue as EmbeddedJobQueue, registry, options.worker),
        inject: [JobQueue, JobHandlerRegistry],
      },
      JobsLifecycle,
    ];
    return {
      module: JobsModule,
      global: true,
      imports: [DiscoveryModule],
      providers,
      exports: [JobQueue, JobWorker, JobHandlerRegistry],
    };
  }
}
