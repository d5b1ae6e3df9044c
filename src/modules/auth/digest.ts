import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 of a random secret (a session token, an API key), as stored instead of the secret. */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether two secrets are equal, compared by digest, so that neither length nor content leaks by timing. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
