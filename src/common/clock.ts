import { Injectable } from '@nestjs/common';

/**
 * Wall-clock and monotonic time behind one small class, so that tests can control time without
 * sleeping. It times this node's own work (its lease validity, its throttles, its clock skew against the
 * database). Times that more than one node writes and compares (heartbeats, the lease, sessions, failed
 * sign-ins, webhook deliveries) use the database's clock instead (PrismaService.nowMsSql, databaseNowMs).
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
