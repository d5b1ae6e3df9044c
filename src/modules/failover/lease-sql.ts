import { Prisma } from '../../generated/sqlite/client';
import type { Fence } from './lease';

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
