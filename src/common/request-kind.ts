import type { Request } from 'express';

/** The header that carries the API key of scripts. */
export const API_KEY_HEADER = 'x-apikey';

/** A request for the JSON API (answered with JSON, errors included), as opposed to a page. */
export function isApiRequest(request: Request): boolean {
  return request.path === '/api' || request.path.startsWith('/api/');
}
