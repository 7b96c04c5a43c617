import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';

/** Times every request at `finish`, so errors thrown before a controller are counted too. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      // route pattern keeps label cardinality bounded; unknown routes collapse into one label
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const labels = { method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) };
      this.metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      if (res.statusCode >= 400) this.metrics.httpErrors.inc(labels);
    });
    next();
  }
}
