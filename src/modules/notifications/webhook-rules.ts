import { createHmac } from 'node:crypto';
import { EVENT_KINDS, EventKind } from '../events/event';

/** What an administrator may subscribe an endpoint to: any kind of event the cluster records. */
export const WEBHOOK_EVENT_KINDS: readonly EventKind[] = EVENT_KINDS;

/** Checked on a new endpoint's form: the changes an administrator is usually paged for. */
export const DEFAULT_WEBHOOK_KINDS: readonly EventKind[] = [
  'component-stale',
  'component-recovered',
  'verification-failed',
  'primary-changed',
  'settings-changed',
  'component-removed',
  'component-drained',
  'component-resumed',
];

/** A delivery is retried for this long after it was queued, then given up ("failed"). */
export const RETRY_WINDOW_MS = 60 * 60 * 1000;
/** An endpoint that has not answered after this long has failed this attempt. */
export const DELIVERY_TIMEOUT_MS = 5_000;
const FIRST_RETRY_MS = 10_000;
const LONGEST_RETRY_MS = 15 * 60 * 1000;

/**
 * The wait before the next attempt once `attempts` have failed: 10 s, 30 s, 90 s, 4.5 min, 13.5 min, then
 * every 15 min, until RETRY_WINDOW_MS after the delivery was queued (eight attempts in the hour).
 */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 3 ** Math.max(0, attempts - 1), LONGEST_RETRY_MS);
}

/** The X-Signature header: HMAC-SHA256 of the exact body bytes with the endpoint's secret, in hex. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * What pages and the API show of a stored URL: its scheme and host, never its path or query (which often
 * carry a token). "https://hooks.example.com/…"
 */
export function maskedUrl(url: string): string {
  const parsed = new URL(url);
  const rest = parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '' ? '…' : '';
  return `${parsed.protocol}//${parsed.host}/${rest}`;
}

/** The comma-framed list stored in `webhooks.kinds`, so that SQL can match one kind with LIKE. */
export function framedKinds(kinds: readonly string[]): string {
  return `,${kinds.join(',')},`;
}

export function kindsOf(framed: string): EventKind[] {
  return framed
    .split(',')
    .filter((kind): kind is EventKind => (EVENT_KINDS as readonly string[]).includes(kind));
}

/** Why a URL cannot be a webhook endpoint, or null: an absolute http or https address with a host. */
export function urlProblem(value: string): string | null {
  const hint = 'must be an http:// or https:// address, such as https://hooks.example.com/cluster';
  if (/\s/.test(value)) return `${hint} (without spaces)`;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return hint;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return hint;
  if (parsed.hostname === '') return hint;
  // fetch refuses such URLs: an endpoint saved with one could never be sent anything.
  if (parsed.username !== '' || parsed.password !== '')
    return 'must not contain a user name or password (put a token in the path or query, or check X-Signature)';
  if (parsed.hash !== '') return 'must not have a #fragment (it is never sent to the server)';
  return null;
}
