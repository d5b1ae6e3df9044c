import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from '../metrics/metrics.service';

/** Times every request; the route label is the matched route pattern, never the raw path (ids stay out). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const stop = this.metrics.httpDuration.startTimer();
    response.once('finish', () => {
      const route =
        (request.route as { path?: string } | undefined)?.path ??
        (response.statusCode === 404 ? 'unmatched' : 'other');
      stop({
        method: request.method,
        route: `${request.baseUrl}${route}`,
        status: String(response.statusCode),
      });
    });
    next();
  }
}
