import { DynamicModule, MiddlewareConsumer, Module, NestModule, ValidationPipe } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { join } from 'node:path';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TesseraConfig, TesseraConfigModule } from '@tessera/common';
import { PlatformModule } from '../../platform/src';
import { AssetsController } from './items/assets.controller';
import { ItemsController } from './items/items.controller';
import { JobsController } from './jobs/jobs.controller';
import { RecommendController } from './recommend/recommend.controller';
import { SearchController } from './search/search.controller';
import { LmController } from './lm/lm.controller';
import { ModelsController } from './models/models.controller';
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
  /** Process jobs inside the API process (the default on the embedded queue, so one process is enough). */
  runWorker?: boolean;
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
        MulterModule.register({
          dest: join(config.dataDir, 'tmp', 'uploads'),
          limits: { fileSize: config.limits.uploadBytes, files: 2 },
        }),
        PlatformModule.forRoot(config, { provideConfig: false, runWorker: options.runWorker ?? false }),
      ],
      controllers: [
        HealthController,
        MetricsController,
        ItemsController,
        AssetsController,
        JobsController,
        RecommendController,
        SearchController,
        LmController,
        ModelsController,
      ],
      providers: [
        MetricsService,
        { provide: APP_FILTER, useClass: ErrorResponseFilter },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
