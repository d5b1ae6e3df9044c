import { Prisma } from '../../generated/sqlite/client';
import type { PrismaService } from '../database/prisma.service';

/**
 * Every release sighting as one JSON text of [version, first_seen_at_ms] pairs, for a statement that reads
 * them beside other rows (see ClusterRepository.findCluster); a handful of rows.
 */
export function releasesJsonSql(prisma: PrismaService): Prisma.Sql {
  return Prisma.sql`(SELECT ${prisma.jsonArrayAggSql('r.version, r.first_seen_at_ms')} FROM release_sightings r)`;
}

/**
 * The releases the live nodes run: components a process reported within the stale timeout (instance_seen_at_ms,
 * by the database's clock), added-by-hand ones aside. For decisions that must wait until no node of an
 * older release runs (a contract step, an event kind older releases cannot show).
 */
export function liveReleasesSql(now: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT DISTINCT version FROM components
    WHERE added_manually = false AND instance_seen_at_ms IS NOT NULL
      AND instance_seen_at_ms >= ${now} - (SELECT stale_timeout_seconds * 1000 FROM cluster_settings WHERE id = 1)`;
}
