-- release: 1.6.0
-- phase: expand
-- Database outages as the nodes saw them (see the PostgreSQL migration of the same name, which also keeps
-- epochs and event ids unique across a promotion; an SQLite file has no replica to be promoted).
CREATE TABLE "database_outages" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "began_at_ms" BIGINT NOT NULL,
    "ended_at_ms" BIGINT NOT NULL,
    "reported_by" TEXT NOT NULL
);
CREATE INDEX "database_outages_ended_at_ms_idx" ON "database_outages"("ended_at_ms");

-- The epoch before the last change of holder (the "previously … at epoch N" of the primary-changed
-- event): epochs no longer always follow by one, so it is kept rather than worked out.
ALTER TABLE "leases" ADD COLUMN "previous_epoch" BIGINT;

-- How the process running a component reaches the database (JSON: direct or through a pooler, its mode,
-- which server, the bounds in effect), as the process found out; shown on the Cluster Overview.
ALTER TABLE "components" ADD COLUMN "database_path" TEXT;
