import type { Request } from 'express';

/** The header that carries the API key of scripts. */
export const API_KEY_HEADER = 'x-apikey';

/**
 * A request for the JSON API (answered with JSON, errors included), as opposed to a page. By the URL as it
 * came (`originalUrl`): in a middleware that Nest mounts, `path` is relative to the mount point.
 */
export function isApiRequest(request: Request): boolean {
  const path = (request.originalUrl ?? request.url).split('?')[0];
  return path === '/api' || path.startsWith('/api/');
}
