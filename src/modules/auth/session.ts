import type { Request } from 'express';

/** What the signed session cookie holds. No secrets: an id for CSRF binding, the user, and an expiry. */
export interface SessionData {
  /** Random per session; CSRF tokens are bound to it. */
  sid?: string;
  userId?: string;
  username?: string;
  /** Milliseconds since the epoch; checked on every request, since cookie expiry is up to the browser. */
  expiresAtMs?: number;
  /** A one-time message for the next page (after a redirect): what was just done. */
  flash?: string;
}

export const SESSION_COOKIE = 'cluster.session';
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;

export function sessionOf(request: Request): SessionData {
  const holder = request as Request & { session?: SessionData | null };
  if (!holder.session) holder.session = {};
  return holder.session;
}

export function signedInUser(request: Request, nowMs: number): { id: string; username: string } | null {
  const session = sessionOf(request);
  if (!session.userId || !session.username || !session.expiresAtMs || session.expiresAtMs <= nowMs)
    return null;
  return { id: session.userId, username: session.username };
}

export function setFlash(request: Request, message: string): void {
  sessionOf(request).flash = message;
}

/** The one-time message, removed from the session as it is read. */
export function takeFlash(request: Request): string | null {
  const session = sessionOf(request);
  const message = session.flash ?? null;
  delete session.flash;
  return message;
}
