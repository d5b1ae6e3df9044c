import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/sqlite/client';
import { HEARTBEAT_LOCK_BUDGET_MS, PrismaService, SHUTDOWN_LOCK_BUDGET_MS } from '../database/prisma.service';
import { Fence, LeaseGrant, LeaseRecord, LeaseRequest } from './lease';
import { nextEpochSql } from './lease-sql';

const ROLE = 'service';

/**
 * The primary lease: one row, decided by the database's clock (so that clock skew between servers never
 * causes a failover) and single
 * conditional statements, never by comparing clocks of different machines.
 */
@Injectable()
export class LeaseRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Renews the lease for its holder, or takes it over, in one atomic UPDATE:
   * - the holder whose lease has not expired keeps it (same epoch, expiry pushed to now + timeout);
   * - with automatic failover, anyone takes an expired lease (a new epoch, see nextEpochSql);
   * - without it, only a lease nobody holds, or held by this component (a restart) or by a component
   *   that no longer exists, changes hands: nobody takes over from a live-but-silent primary.
   * Only the process that runs the component (its instance id is on the component's row) may renew or
   * take the lease for it: a second process started under the same server name shares the component's id
   * but not its instance, so it can never take the lease from the first one. A component that may not
   * become primary (its encryption key is not the cluster's) only renews a lease it already holds. A drained
   * component is refused a takeover by the database itself (see `drained` below), so a drain committed
   * between the process's heartbeat and this statement is never missed.
   * PostgreSQL (READ COMMITTED): a second writer waits on the row lock and re-checks the WHERE against the
   * new row. SQLite: one writer at a time. Returns what was written, or null: this component is not primary.
   */
  async renewOrAcquire(request: LeaseRequest): Promise<LeaseGrant | null> {
    const { holder, instanceId, myEpoch, timeoutMs, automaticFailover, mayAcquire, preempt } = request;
    // "now" is read once, in the CTE: PostgreSQL's clock_timestamp() would give each mention its own value,
    // and the WHERE and the SETs must agree on whether the lease has expired.
    const mine = Prisma.sql`(holder = ${holder} AND epoch = ${BigInt(myEpoch ?? -1)} AND expires_at_ms > clock.now_ms)`;
    const expired = automaticFailover
      ? Prisma.sql`expires_at_ms <= clock.now_ms`
      : Prisma.sql`(holder IS NULL OR holder = ${holder}
           OR NOT EXISTS (SELECT 1 FROM components WHERE components.id = leases.holder))`;
    const takeover =
      automaticFailover && preempt
        ? Prisma.sql`(${expired} OR (holder = ${preempt.holder} AND epoch = ${BigInt(preempt.epoch)}))`
        : expired;
    // A drained component takes no lease (the drain marks the lease row when it drains the holder, and the
    // component's row always), except its own lease once nobody else took it for a whole timeout after it
    // gave it up: then there was no backup after all, and a drained primary beats none.
    const drained = Prisma.sql`(COALESCE(drained_holder, '') = ${holder} OR EXISTS (SELECT 1 FROM components
           WHERE components.id = ${holder} AND components.drained_at_ms IS NOT NULL))`;
    const ownAfterTimeout = Prisma.sql`(holder = ${holder} AND expires_at_ms <= clock.now_ms - ${BigInt(timeoutMs)})`;
    const rows = await this.prisma.whileLocked(
      () =>
        this.prisma.bounded(
          (db) => db.$queryRaw<
            {
              epoch: bigint | number;
              previous_holder: string | null;
              previous_epoch: bigint | number | null;
            }[]
          >`
      WITH clock AS (SELECT ${this.prisma.nowMsSql()} AS now_ms)
      UPDATE leases SET
        previous_holder = CASE WHEN ${mine} THEN previous_holder ELSE holder END,
        previous_epoch = CASE WHEN ${mine} THEN previous_epoch ELSE epoch END,
        acquired_at_ms = CASE WHEN ${mine} THEN acquired_at_ms ELSE clock.now_ms END,
        epoch = CASE WHEN ${mine} THEN epoch ELSE ${nextEpochSql(this.prisma.kind)} END,
        holder = ${holder},
        expires_at_ms = clock.now_ms + ${BigInt(timeoutMs)}
      FROM clock
      WHERE role = ${ROLE}
        AND EXISTS (SELECT 1 FROM components WHERE components.id = ${holder} AND components.instance_id = ${instanceId})
        AND (${mine} OR ${
          mayAcquire
            ? Prisma.sql`(${takeover} AND (NOT ${drained} OR ${ownAfterTimeout}))`
            : Prisma.sql`FALSE`
        })
      RETURNING epoch, previous_holder, previous_epoch`,
        ),
      HEARTBEAT_LOCK_BUDGET_MS,
    );
    return rows.length === 0
      ? null
      : {
          epoch: Number(rows[0].epoch),
          previousHolder: rows[0].previous_holder,
          previousEpoch: rows[0].previous_epoch === null ? null : Number(rows[0].previous_epoch),
        };
  }

  /**
   * On a clean shutdown or a hand-over: the lease expires now (by the database's clock, so that a drained
   * holder's "nobody took it for a timeout" counts from here), and a backup takes over at its next heartbeat.
   */
  async release(fence: Fence): Promise<void> {
    await this.prisma.whileLocked(
      () =>
        this.prisma.bounded(
          (db) => db.$executeRaw`
        UPDATE leases SET expires_at_ms = ${this.prisma.nowMsSql()}
        WHERE role = ${ROLE} AND holder = ${fence.holder} AND epoch = ${BigInt(fence.epoch)}
          AND expires_at_ms > ${this.prisma.nowMsSql()}`,
        ),
      SHUTDOWN_LOCK_BUDGET_MS,
    );
  }

  async findLease(): Promise<LeaseRecord> {
    const row = await this.prisma.client.lease.findUniqueOrThrow({ where: { role: ROLE } });
    return {
      holder: row.holder,
      epoch: Number(row.epoch),
      expiresAtMs: Number(row.expiresAtMs),
      acquiredAtMs: Number(row.acquiredAtMs),
      previousHolder: row.previousHolder,
    };
  }

  // Statements on the lease for transactions other modules own (removing, draining components): they join
  // the caller's transaction, so that the lease row is always locked first and changed only here.

  /** Locks the lease row: the first statement of every transaction that touches it and components. */
  async lockIn(tx: LeaseTransaction): Promise<void> {
    await tx.$executeRaw`UPDATE leases SET holder = holder WHERE role = ${ROLE}`;
  }

  /** A removed component's lease ends at once, so that a backup takes over at its next heartbeat. */
  async endHeldBy(tx: LeaseTransaction, holder: string): Promise<void> {
    await tx.$executeRaw`UPDATE leases SET expires_at_ms = 0 WHERE holder = ${holder}`;
  }

  /**
   * Marks the lease row with a drained component (the mark a takeover waiting on the row's lock sees, when
   * its snapshot misses the component's own mark); with `revoke`, ends its lease under a new epoch, so that
   * a renewal that waited on the lock fails its re-check and any fenced write of the old epoch is refused.
   * Whether a lease was revoked.
   */
  async markDrained(tx: LeaseTransaction, holder: string, revoke: boolean): Promise<boolean> {
    const now = this.prisma.nowMsSql();
    await tx.$executeRaw`UPDATE leases SET drained_holder = ${holder} WHERE role = ${ROLE}`;
    if (!revoke) return false;
    const revoked = await tx.$executeRaw`
      UPDATE leases SET expires_at_ms = ${now}, epoch = ${nextEpochSql(this.prisma.kind)}
      WHERE role = ${ROLE} AND holder = ${holder} AND expires_at_ms > ${now}`;
    return revoked > 0;
  }

  async clearDrained(tx: LeaseTransaction, holder: string): Promise<void> {
    await tx.$executeRaw`UPDATE leases SET drained_holder = NULL WHERE role = ${ROLE} AND drained_holder = ${holder}`;
  }
}

/** The transaction another module's repository opened, which these statements join. */
export type LeaseTransaction = Pick<Prisma.TransactionClient, '$executeRaw'>;
