import { Prisma } from '../../generated/sqlite/client';
import { liveReleasesSql } from '../upgrade/release-sql';
import { kindReadableBy, NewEvent } from './event';

/**
 * The INSERT for one event, timed by the database's clock (`now`), for the transaction of what it
 * records, whichever repository owns that transaction: the primary's fenced writes stamp their epoch;
 * administrators' actions have none. A statement, not a provider, so that the event and what it records
 * are committed together.
 */
export function insertEventSql(event: NewEvent, epoch: number | null, now: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO events (occurred_at_ms, kind, server_name, component_id, component_type, actor, epoch, message)
    VALUES (${now}, ${event.kind}, ${event.serverName ?? null}, ${event.componentId ?? null},
            ${event.componentType ?? null}, ${event.actor ?? null}, ${epoch === null ? null : BigInt(epoch)}, ${event.message})`;
}

/**
 * Writes the event in the transaction only when every live release can show its kind (EVENT_KIND_SINCE):
 * what it records is kept either way. Whether it was written.
 */
export async function insertEventWhereReadable(
  tx: Prisma.TransactionClient,
  event: NewEvent,
  now: Prisma.Sql,
): Promise<boolean> {
  const live = await tx.$queryRaw<{ version: string }[]>(liveReleasesSql(now));
  if (
    !kindReadableBy(
      event.kind,
      live.map((row) => row.version),
    )
  )
    return false;
  await tx.$executeRaw(insertEventSql(event, null, now));
  return true;
}

/** Retention: what is older than the cut-off, or beyond the newest `keep` rows, goes. */
export function pruneEventsSql(cutoffMs: number, keep: number): Prisma.Sql[] {
  return [
    Prisma.sql`DELETE FROM events WHERE occurred_at_ms < ${BigInt(cutoffMs)}`,
    // By rank, not by arithmetic on ids: ids jump after a database failover (see migration 0007).
    Prisma.sql`DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ${keep})`,
  ];
}
