import { Prisma } from '../../generated/sqlite/client';
import type { DatabaseKind } from '../environment/app-config';
import { Fence, LeaseLostError, type LeaseRecord } from './lease';

/**
 * The first statement of every primary-only transaction: it matches (and locks) the lease row only while
 * it has this holder and epoch and has not expired by the database's clock (`now`). Zero rows means the
 * lease is lost: the owner of the transaction throws LeaseLostError and nothing is written. It is a write,
 * so SQLite takes its write lock at once (no read-then-upgrade that could fail with SQLITE_BUSY) and
 * PostgreSQL holds the lease row until commit.
 */
export function leaseHeldSql(fence: Fence, now: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    UPDATE leases SET holder = holder
    WHERE role = 'service' AND holder = ${fence.holder} AND epoch = ${BigInt(fence.epoch)} AND expires_at_ms > ${now}`;
}

/** The first statement of a primary-only transaction (see leaseHeldSql): throws LeaseLostError when the lease is lost. */
export async function requireLeaseHeld(
  tx: Pick<Prisma.TransactionClient, '$executeRaw'>,
  fence: Fence,
  now: Prisma.Sql,
): Promise<void> {
  if ((await tx.$executeRaw(leaseHeldSql(fence, now))) === 0) throw new LeaseLostError(fence);
}

/**
 * The epoch a change of holder (or a revocation) gives the lease: one more than the last, and on
 * PostgreSQL never below the database's timeline × 10^9 (migration 0007), so that a replica promoted
 * without the last writes of its old primary never hands out an epoch that the lost timeline already gave.
 * The one place where epochs are made.
 */
export function nextEpochSql(kind: DatabaseKind): Prisma.Sql {
  return kind === 'postgresql'
    ? Prisma.raw('GREATEST(epoch + 1, cluster_timeline_floor() + 1)')
    : Prisma.raw('epoch + 1');
}

/**
 * The primary as a heartbeat's answer carries it (see HeartbeatRepository.reportPresence): the holder, its
 * epoch, when its lease expires and the version its component runs. A backup that sees a live lease held
 * by another component needs no lease statement of its own that period, and a node of a newer release can
 * take the role over from an older one (FailoverService.renew).
 */
export const PRIMARY_COLUMNS_SQL = Prisma.raw(
  "(SELECT pl.holder FROM leases pl WHERE pl.role = 'service') AS primary_holder, " +
    "(SELECT pl.epoch FROM leases pl WHERE pl.role = 'service') AS primary_epoch, " +
    "(SELECT pl.expires_at_ms FROM leases pl WHERE pl.role = 'service') AS primary_expires_at_ms, " +
    "(SELECT pc.version FROM leases pl JOIN components pc ON pc.id = pl.holder WHERE pl.role = 'service') AS primary_version",
);

export interface PrimaryColumns {
  primary_holder: string | null;
  primary_epoch: bigint | number | null;
  primary_expires_at_ms: bigint | number | null;
  primary_version: string | null;
}

/** The lease's columns, for a statement that reads the lease beside other rows (see ClusterRepository). */
export const LEASE_COLUMNS_SQL = Prisma.raw(
  'l.holder AS lease_holder, l.epoch AS lease_epoch, l.expires_at_ms AS lease_expires_at_ms, ' +
    'l.acquired_at_ms AS lease_acquired_at_ms, l.previous_holder AS lease_previous_holder',
);
/** Joins the primary lease's row as `l` (one row: the first migration inserts it). */
export const LEASE_JOIN_SQL = Prisma.raw(`JOIN leases l ON l.role = 'service'`);

export interface LeaseColumns {
  lease_holder: string | null;
  lease_epoch: bigint | number;
  lease_expires_at_ms: bigint | number;
  lease_acquired_at_ms: bigint | number;
  lease_previous_holder: string | null;
}

export function leaseFromColumns(row: LeaseColumns): LeaseRecord {
  return {
    holder: row.lease_holder,
    epoch: Number(row.lease_epoch),
    expiresAtMs: Number(row.lease_expires_at_ms),
    acquiredAtMs: Number(row.lease_acquired_at_ms),
    previousHolder: row.lease_previous_holder,
  };
}
