import type { Request } from 'express';
import type { KeyHolder } from './api-keys.service';
import type { Role } from './roles';
import type { SsoTransaction } from './sso.service';

/**
 * What the signed session cookie holds. No secret but the session token, whose record lives in the shared
 * database (see SessionsService): signing out deletes the record, and the cookie is worth nothing after.
 */
export interface SessionData {
  /** Random per browser; CSRF tokens are bound to it. */
  sid?: string;
  /** The sign-in session's token (only its SHA-256 is stored in the database). */
  token?: string;
  /** A one-time message for the next page (after a redirect): what was just done. */
  flash?: string;
  /** A single sign-on under way: what the provider's answer must match (SsoService). */
  sso?: SsoTransaction;
}

export const SESSION_COOKIE = 'cluster.session';
/** Every session ends this long after sign-in, however busy; an idle one ends sooner (SESSION_IDLE_MINUTES). */
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;

export interface SignedInUser {
  id: string;
  username: string;
  /** As the database says at this request: a change takes effect at the user's next request, on every node. */
  role: Role;
  /** How the user signs in: password, or sso (single sign-on: no password here to change). */
  signIn: string;
}

type SessionRequest = Request & {
  session?: SessionData | null;
  signedInUser?: SignedInUser;
  keyHolder?: KeyHolder;
};

export function sessionOf(request: Request): SessionData {
  const holder = request as SessionRequest;
  if (!holder.session) holder.session = {};
  return holder.session;
}

/** The person whose live session this request carries, as SessionMiddleware found it; else null. */
export function signedInUser(request: Request): SignedInUser | null {
  return (request as SessionRequest).signedInUser ?? null;
}

export function setSignedInUser(request: Request, user: SignedInUser): void {
  (request as SessionRequest).signedInUser = user;
}

/** Whom the person's API key in X-ApiKey acts as, as SessionMiddleware found it; else null. */
export function keyHolder(request: Request): KeyHolder | null {
  return (request as SessionRequest).keyHolder ?? null;
}

export function setKeyHolder(request: Request, holder: KeyHolder): void {
  (request as SessionRequest).keyHolder = holder;
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
