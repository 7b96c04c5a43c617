import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { JobHandlerRegistry } from './job-handler.registry';
import type { JobContext } from './job.types';
import { ON_JOB_METADATA, type OnJobMetadata } from './on-job.decorator';

/** Registers every `@OnJob` method of every provider at module init. */
@Injectable()
export class JobHandlerExplorer implements OnModuleInit {
  private readonly logger = new Logger(JobHandlerExplorer.name);

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(JobHandlerRegistry) private readonly registry: JobHandlerRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object | null;
      if (!proto) continue;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const meta = Reflect.getMetadata(ON_JOB_METADATA, fn) as OnJobMetadata | undefined;
        if (!meta) continue;
        const source = `${instance.constructor?.name ?? 'provider'}.${method}`;
        this.registry.register(
          meta.name,
          (ctx: JobContext) => (fn as (c: JobContext) => unknown).call(instance, ctx),
          source,
        );
        this.logger.debug?.({ msg: 'job handler registered', job: meta.name, source });
      }
    }
  }
}
