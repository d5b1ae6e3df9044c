-- release: 1.6.0
-- phase: expand
-- Identities that a database failover cannot hand out twice, and database outages as the nodes saw them.
--
-- A promoted replica may lack the last writes of its old primary: the last lease epoch, the last events.
-- Counting on from what it has would give a second server the epoch (fencing token) that the lost
-- timeline already gave one, and a second event the id (webhook receivers deduplicate by it) of one
-- already sent. Every promotion starts a new timeline, numbered above every earlier one: epochs and event
-- ids are kept at or above timeline × 10^9 (readable: epoch 2000000001 is the first of timeline 2), so
-- whatever a new timeline hands out is above anything an earlier one did (a collision would need the lost
-- writes to be 10^9 ahead of what the replica has). The timeline is the first eight hex digits of the
-- current WAL file's name; on a server in recovery the function fails, as any write there would.
CREATE OR REPLACE FUNCTION cluster_timeline_floor() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
  SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint * 1000000000
$$;

-- Only widened: older releases read these columns as whole numbers and keep working.
ALTER TABLE "events" ALTER COLUMN "id" TYPE BIGINT;
ALTER SEQUENCE "events_id_seq" AS BIGINT;
ALTER TABLE "events" ALTER COLUMN "id" SET DEFAULT cluster_timeline_floor() + nextval('events_id_seq');
ALTER TABLE "webhook_deliveries" ALTER COLUMN "event_id" TYPE BIGINT;

-- A time when the database could not be used by the nodes (refusing connections, unreachable, read-only),
-- from the first failure a node saw to the moment it could write again, by the database's clock. Staleness
-- is judged from the end of the last outage: a node that was alive all along is not blamed for it.
CREATE TABLE "database_outages" (
    "id" TEXT NOT NULL,
    "began_at_ms" BIGINT NOT NULL,
    "ended_at_ms" BIGINT NOT NULL,
    "reported_by" TEXT NOT NULL,
    CONSTRAINT "database_outages_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "database_outages_ended_at_ms_idx" ON "database_outages"("ended_at_ms");

-- The epoch before the last change of holder (the "previously … at epoch N" of the primary-changed
-- event): epochs no longer always follow by one, so it is kept rather than worked out.
ALTER TABLE "leases" ADD COLUMN "previous_epoch" BIGINT;

-- How the process running a component reaches the database (JSON: direct or through a pooler, its mode,
-- which server, the bounds in effect), as the process found out; shown on the Cluster Overview.
ALTER TABLE "components" ADD COLUMN "database_path" TEXT;
