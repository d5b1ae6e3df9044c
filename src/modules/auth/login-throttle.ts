import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';

/** Failed sign-ins allowed per user name and per client address in one window. */
export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/**
 * Failed sign-ins counted in the shared database, per user name and per client address, so that the limit
 * holds across every node behind a load balancer. A subject's window starts at its first failure and lasts
 * LOGIN_FAILURE_WINDOW_MS by the database's clock (nodes' clocks may differ); a success clears the user
 * name's count. (express-rate-limit counts in one
 * node's memory, or in stores for Redis and the like that this product does not run.)
 */
@Injectable()
export class LoginThrottle {
  constructor(private readonly prisma: PrismaService) {}

  /** Seconds until the subjects may try again, or 0 when none of them reached the limit. */
  async retryAfterSeconds(subjects: string[]): Promise<number> {
    const rows = await this.prisma.client.$queryRaw<
      { window_started_at_ms: bigint | number; now_ms: bigint | number }[]
    >`
      SELECT f.window_started_at_ms, n.now_ms
      FROM (SELECT ${this.prisma.nowMsSql()} AS now_ms) n
      JOIN login_failures f ON f.subject IN (${subjects[0]}, ${subjects[1] ?? subjects[0]})
      WHERE f.failures >= ${LOGIN_FAILURE_LIMIT} AND f.window_started_at_ms > n.now_ms - ${BigInt(LOGIN_FAILURE_WINDOW_MS)}`;
    if (rows.length === 0) return 0;
    const nowMs = Number(rows[0].now_ms);
    const until = Math.max(...rows.map((row) => Number(row.window_started_at_ms) + LOGIN_FAILURE_WINDOW_MS));
    return until > nowMs ? Math.ceil((until - nowMs) / 1000) : 0;
  }

  async recordFailure(subjects: string[]): Promise<void> {
    // The database's clock: the failures of one window are counted by every node, whatever its own clock says.
    const now = this.prisma.nowMsSql();
    const windowStart = Prisma.sql`(${now} - ${BigInt(LOGIN_FAILURE_WINDOW_MS)})`;
    await this.prisma.whileLocked(() =>
      this.prisma.client.$transaction([
        // Windows that have passed are forgotten, so that made-up user names cannot grow the table for ever.
        this.prisma.client
          .$executeRaw`DELETE FROM login_failures WHERE window_started_at_ms <= ${windowStart}`,
        ...subjects.map(
          (subject) => this.prisma.client.$executeRaw`
            INSERT INTO login_failures (subject, failures, window_started_at_ms) VALUES (${subject}, 1, ${now})
            ON CONFLICT (subject) DO UPDATE SET
              failures = CASE WHEN login_failures.window_started_at_ms > ${windowStart}
                THEN login_failures.failures + 1 ELSE 1 END,
              window_started_at_ms = CASE WHEN login_failures.window_started_at_ms > ${windowStart}
                THEN login_failures.window_started_at_ms ELSE ${now} END`,
        ),
      ]),
    );
  }

  async forget(subject: string): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`DELETE FROM login_failures WHERE subject = ${subject}`,
    );
  }
}

export function userSubject(username: string): string {
  return `user:${username.toLowerCase()}`;
}

export function addressSubject(address: string | undefined): string {
  return `address:${address ?? 'unknown'}`;
}
