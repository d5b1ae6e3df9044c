import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';

/**
 * Failed sign-ins per subject (a user name or a client address), each with the start of its window. Every
 * time is the database's clock: the failures of one window are counted by every node, whatever its own
 * clock says.
 */
@Injectable()
export class LoginFailuresRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The window starts of the subjects with at least `limit` failures in a window still open, and "now". */
  async findLimited(
    subjects: string[],
    limit: number,
    windowMs: number,
  ): Promise<{ nowMs: number; windowStartsMs: number[] }> {
    const rows = await this.prisma.client.$queryRaw<
      { window_started_at_ms: bigint | number | null; now_ms: bigint | number }[]
    >`
      SELECT f.window_started_at_ms, n.now_ms
      FROM (SELECT ${this.prisma.nowMsSql()} AS now_ms) n
      LEFT JOIN login_failures f ON f.subject IN (${subjects[0]}, ${subjects[1] ?? subjects[0]})
        AND f.failures >= ${limit} AND f.window_started_at_ms > n.now_ms - ${BigInt(windowMs)}`;
    return {
      nowMs: Number(rows[0].now_ms),
      windowStartsMs: rows.flatMap((row) =>
        row.window_started_at_ms === null ? [] : [Number(row.window_started_at_ms)],
      ),
    };
  }

  /** One more failure for each subject, in its open window or a new one; closed windows are forgotten. */
  async add(subjects: string[], windowMs: number): Promise<void> {
    const now = this.prisma.nowMsSql();
    const windowStart = Prisma.sql`(${now} - ${BigInt(windowMs)})`;
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

  async clear(subject: string): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`DELETE FROM login_failures WHERE subject = ${subject}`,
    );
  }
}
