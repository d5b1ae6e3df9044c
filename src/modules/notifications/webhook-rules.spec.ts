import { createHmac } from 'node:crypto';
import {
  framedKinds,
  kindsOf,
  maskedUrl,
  RETRY_WINDOW_MS,
  retryDelayMs,
  signature,
  urlProblem,
} from './webhook-rules';

describe('webhook rules', () => {
  it('backs off 10 s, 30 s, 90 s … up to 15 minutes, eight attempts within the hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(retryDelayMs)).toEqual([
      10_000, 30_000, 90_000, 270_000, 810_000, 900_000, 900_000,
    ]);
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + retryDelayMs(attempts) <= RETRY_WINDOW_MS) elapsed += retryDelayMs(attempts++);
    expect(attempts).toBe(8);
  });

  it('signs the exact body with HMAC-SHA256 of the secret', () => {
    const body = '{"kind":"primary-changed"}';
    expect(signature('s3cret-s3cret-s3cret', body)).toBe(
      `sha256=${createHmac('sha256', 's3cret-s3cret-s3cret').update(body).digest('hex')}`,
    );
    expect(signature('another-secret-value', body)).not.toBe(signature('s3cret-s3cret-s3cret', body));
  });

  it('shows a URL by its scheme and host only', () => {
    expect(maskedUrl('https://hooks.example.com/services/T0/B1/abc?x=1')).toBe('https://hooks.example.com/…');
    expect(maskedUrl('http://10.0.0.5:9000/')).toBe('http://10.0.0.5:9000/');
    expect(maskedUrl('https://user:pw@example.com/')).toBe('https://example.com/…');
  });

  it('refuses what fetch could never send to', () => {
    expect(urlProblem('https://hooks.example.com/cluster?token=1')).toBeNull();
    expect(urlProblem('https://user:pw@example.com/')).toContain('must not contain a user name or password');
    expect(urlProblem('file:///etc/passwd')).toContain('must be an http:// or https:// address');
    expect(urlProblem('https://example.com/a b')).toContain('without spaces');
  });

  it('frames kinds for SQL matching and reads them back, ignoring unknown ones', () => {
    expect(framedKinds(['component-stale', 'primary-changed'])).toBe(',component-stale,primary-changed,');
    expect(kindsOf(',component-stale,nonsense,primary-changed,')).toEqual([
      'component-stale',
      'primary-changed',
    ]);
  });
});
