import { Injectable } from '@nestjs/common';
import { LoginFailuresRepository } from './login-failures.repository';

/** Failed sign-ins allowed per user name and per client address in one window. */
export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/**
 * Failed sign-ins counted in the shared database, per user name and per client address, so that the limit
 * holds across every node behind a load balancer. A subject's window starts at its first failure and lasts
 * LOGIN_FAILURE_WINDOW_MS by the database's clock (nodes' clocks may differ); a success clears the user
 * name's count. (express-rate-limit counts in one node's memory, or in stores for Redis and the like that
 * this product does not run.)
 */
@Injectable()
export class LoginThrottle {
  constructor(private readonly failures: LoginFailuresRepository) {}

  /** Seconds until the subjects may try again, or 0 when none of them reached the limit. */
  async retryAfterSeconds(subjects: string[]): Promise<number> {
    const { nowMs, windowStartsMs } = await this.failures.findLimited(
      subjects,
      LOGIN_FAILURE_LIMIT,
      LOGIN_FAILURE_WINDOW_MS,
    );
    const until = Math.max(0, ...windowStartsMs.map((startMs) => startMs + LOGIN_FAILURE_WINDOW_MS));
    return until > nowMs ? Math.ceil((until - nowMs) / 1000) : 0;
  }

  recordFailure(subjects: string[]): Promise<void> {
    return this.failures.add(subjects, LOGIN_FAILURE_WINDOW_MS);
  }

  forget(subject: string): Promise<void> {
    return this.failures.clear(subject);
  }
}

export function userSubject(username: string): string {
  return `user:${username.toLowerCase()}`;
}

export function addressSubject(address: string | undefined): string {
  return `address:${address ?? 'unknown'}`;
}
