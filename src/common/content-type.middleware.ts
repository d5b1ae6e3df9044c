import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isApiRequest } from './request-kind';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A body must come in the type its route reads: JSON for /api/*, form encoding for the pages' forms.
 * Otherwise the parsers would leave it unread and the request would act on an empty body.
 */
export function requireContentType(request: Request, _response: Response, next: NextFunction): void {
  if (!WITH_BODY.has(request.method)) return next();
  const api = isApiRequest(request);
  const hasBody =
    Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (api && hasBody && !request.is('application/json')) {
    return next(new UnsupportedMediaTypeException('Send the body as JSON (Content-Type: application/json).'));
  }
  if (!api && hasBody && !request.is('application/x-www-form-urlencoded')) {
    return next(new UnsupportedMediaTypeException('Send the form as application/x-www-form-urlencoded.'));
  }
  next();
}
