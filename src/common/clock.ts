import { Injectable } from '@nestjs/common';

/**
 * Wall-clock and monotonic time behind one small class, so that tests can control time without
 * sleeping. Decisions between machines never use this clock: they use the database's (see
 * PrismaService.nowMsSql and databaseNowMs).
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  /** Milliseconds from an arbitrary origin that never goes backwards. */
  monotonicMs(): number {
    return performance.now();
  }
}
