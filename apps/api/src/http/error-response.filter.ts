import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isTesseraError, TesseraError } from '@tessera/common';

const STATUS_BY_CODE: Record<string, number> = {
  invalid_input: HttpStatus.BAD_REQUEST,
  dimension_mismatch: HttpStatus.BAD_REQUEST,
  unsupported_media: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  unsupported_modality: HttpStatus.UNPROCESSABLE_ENTITY,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unauthorized: HttpStatus.UNAUTHORIZED,
  upstream_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  corrupt_data: HttpStatus.INTERNAL_SERVER_ERROR,
  config_invalid: HttpStatus.INTERNAL_SERVER_ERROR,
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  requestId?: string;
}

/**
 * The one place where errors become HTTP responses: `{statusCode, error, code, message, details}`.
 * Client errors are logged at warn, server errors at error with the stack, each once.
 */
@Catch()
export class ErrorResponseFilter implements ExceptionFilter {
  private readonly logger = new Logger(ErrorResponseFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const body = this.toBody(exception);
    body.requestId = req.id;
    const log = {
      requestId: req.id,
      method: req.method,
      path: req.originalUrl,
      status: body.statusCode,
      code: body.code,
    };
    if (body.statusCode >= 500) this.logger.error({ ...log, err: exception }, body.message);
    else this.logger.warn(log, body.message);
    if (!res.headersSent) res.status(body.statusCode).json(body);
  }

  private toBody(e: unknown): ErrorBody {
    if (isTesseraError(e)) {
      const statusCode = STATUS_BY_CODE[e.code] ?? 500;
      return { statusCode, error: errorName(statusCode), code: e.code, message: e.message, details: detailsOf(e) };
    }
    if (e instanceof HttpException) {
      const statusCode = e.getStatus();
      const response = e.getResponse();
      let message = e.message;
      let details: Record<string, unknown> | undefined;
      if (typeof response === 'object' && response !== null) {
        const m = (response as { message?: unknown }).message;
        if (Array.isArray(m)) {
          message = m.join('; ');
          details = { problems: m };
        } else if (typeof m === 'string') message = m;
      }
      return { statusCode, error: errorName(statusCode), code: httpCode(statusCode), message, details };
    }
    return { statusCode: 500, error: errorName(500), code: 'internal', message: 'internal server error' };
  }
}

function detailsOf(e: TesseraError): Record<string, unknown> | undefined {
  return Object.keys(e.details).length ? e.details : undefined;
}

function errorName(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  return name
    ? name.toLowerCase().replace(/(^|_)(\w)/g, (_m, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase())
    : 'Error';
}

function httpCode(status: number): string {
  if (status === 404) return 'not_found';
  if (status === 400) return 'invalid_input';
  if (status === 401) return 'unauthorized';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  return status >= 500 ? 'internal' : 'http_error';
}
