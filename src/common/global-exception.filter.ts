import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { isApiRequest } from './request-kind';
import { LoginRequiredException } from './login-required.exception';
import { databaseTrouble, DatabaseUnavailableError } from './database-errors';
import { errorSummary } from './error-summary';

/**
 * One place that turns errors into answers: HTTP errors keep their status and message; a database that is
 * out of reach or locked is a 503 that says so;
 * anything else is a plain 500 whose details go to the log under a correlation id, never to the client.
 * API requests get JSON; people get the error page.
 */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<Request>();
    const response = context.getResponse<Response>();
    if (response.headersSent) return;

    if (exception instanceof LoginRequiredException && !isApiRequest(request) && request.method === 'GET') {
      response.redirect(303, `/login?returnTo=${encodeURIComponent(exception.returnTo)}`);
      return;
    }

    const trouble = databaseTrouble(exception);
    if (trouble) {
      // Not the request's fault and not a bug: the database is down or locked. Say so, and when to retry.
      const unavailable =
        exception instanceof DatabaseUnavailableError ? exception : new DatabaseUnavailableError(trouble);
      this.logger.warn(
        `${request.method} ${request.path}: 503, database ${trouble}: ${errorSummary(exception)}`,
      );
      response.set('Retry-After', trouble === 'locked' ? '1' : '5');
      this.answer(request, response, 503, unavailable.message, {
        title: trouble === 'locked' ? 'The database is busy' : 'The database cannot be reached',
        banner: true,
      });
      return;
    }
    const { status, message } = this.describe(exception, request);
    this.answer(request, response, status, message, { title: `Error ${status}`, banner: false });
  }

  private answer(
    request: Request,
    response: Response,
    status: number,
    message: string,
    page: { title: string; banner: boolean },
  ): void {
    if (isApiRequest(request) || !request.accepts('html')) {
      response.status(status).json({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message });
    } else {
      response.status(status).render('errors/error', { ...page, status, message });
    }
  }

  private describe(exception: unknown, request: Request): { status: number; message: string } {
    if (exception instanceof HttpException && exception.cause instanceof SyntaxError) {
      return {
        status: exception.getStatus(),
        message: `The request body is not valid JSON: ${exception.cause.message}`,
      };
    }
    if (exception instanceof NotFoundException && /^Cannot [A-Z]+ /.test(exception.message)) {
      // No route matched: say it in words, not in the router's.
      return {
        status: 404,
        message: isApiRequest(request)
          ? `There is no API route ${request.method} ${request.path}.`
          : `There is no page at ${request.path}.`,
      };
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const raw =
        typeof body === 'object' && body !== null && 'message' in body ? body.message : exception.message;
      const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
      return { status: exception.getStatus(), message };
    }
    const status = httpStatusOf(exception);
    if (status) return { status, message: statusMessage(status) };
    const correlationId = randomUUID();
    this.logger.error(
      `${request.method} ${request.path} failed [${correlationId}]: ${exception instanceof Error ? exception.stack : String(exception)}`,
    );
    return { status: 500, message: `Something went wrong on this server. Reference: ${correlationId}` };
  }
}

/** Errors raised by Express's own middleware (body parser: too large, malformed JSON) carry a 4xx status. */
function httpStatusOf(exception: unknown): number | null {
  const status = (exception as { status?: unknown; statusCode?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

function statusMessage(status: number): string {
  if (status === 413) return 'The request body is too large.';
  if (status === 415) return 'Unsupported content type.';
  return 'The request could not be understood; check its syntax.';
}
