import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  ModuleMetadata,
  NestModule,
  Provider,
  ValidationPipe,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HEALTH_PROBES, HealthProbe, TesseraConfig, TesseraConfigModule } from '@tessera/common';
import { HealthController } from './health/health.controller';
import { ApiKeyGuard } from './http/api-key.guard';
import { ErrorResponseFilter } from './http/error-response.filter';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const raw = Array.isArray(given) ? given[0] : given;
  // accept a caller's id only if it is short and printable, so it cannot inject into logs
  const id = raw && /^[\w.:-]{1,128}$/.test(raw) ? raw : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

export interface ApiModuleOptions {
  /** Feature modules (catalogue, vectors, jobs, models) added by the composition root. */
  imports?: ModuleMetadata['imports'];
  /** Readiness probes for `/health/ready`: a factory over injected components. */
  probes?: { inject: Provider[] | string[] | symbol[] | Function[]; useFactory: (...deps: never[]) => HealthProbe[] };
}

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: TesseraConfig, options: ApiModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TesseraConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: requestId,
            customProps: () => ({ context: 'HTTP' }),
            redact: ['req.headers["x-api-key"]', 'req.headers.authorization'],
            // the error filter logs failures once with their code; pino-http only logs the access line
            customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
          },
        }),
        ThrottlerModule.forRoot([{ ttl: 60_000, limit: config.limits.requestsPerMinute }]),
        ...(options.imports ?? []),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        MetricsService,
        { provide: APP_FILTER, useClass: ErrorResponseFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
        options.probes
          ? { provide: HEALTH_PROBES, inject: options.probes.inject as never[], useFactory: options.probes.useFactory }
          : { provide: HEALTH_PROBES, useValue: [] },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
