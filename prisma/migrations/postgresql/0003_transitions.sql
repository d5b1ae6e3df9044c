-- release: 1.3.0
-- phase: expand
-- Components learn which process instance runs them (duplicate server names), how far that process's clock
-- is from the database's, whether its encryption key is the cluster's, and which settings it follows.
ALTER TABLE "components" ADD COLUMN "instance_id" TEXT;
ALTER TABLE "components" ADD COLUMN "instance_address" TEXT;
ALTER TABLE "components" ADD COLUMN "instance_host" TEXT;
ALTER TABLE "components" ADD COLUMN "instance_pid" INTEGER;
ALTER TABLE "components" ADD COLUMN "instance_seen_at_ms" BIGINT;
ALTER TABLE "components" ADD COLUMN "duplicate_address" TEXT;
ALTER TABLE "components" ADD COLUMN "duplicate_seen_at_ms" BIGINT;
ALTER TABLE "components" ADD COLUMN "clock_skew_ms" BIGINT;
ALTER TABLE "components" ADD COLUMN "eligible" BOOLEAN;
ALTER TABLE "components" ADD COLUMN "settings_revision" INTEGER;
ALTER TABLE "components" ADD COLUMN "observed_duplicate" BOOLEAN;

-- The new defaults (10 s / 60 s), the columns that carry a settings change through its transition, and the
-- cluster's key check.
ALTER TABLE "cluster_settings" ALTER COLUMN "heartbeat_frequency_seconds" SET DEFAULT 10;
ALTER TABLE "cluster_settings" ALTER COLUMN "stale_timeout_seconds" SET DEFAULT 60;
ALTER TABLE "cluster_settings" ADD COLUMN "changed_at_ms" BIGINT;
ALTER TABLE "cluster_settings" ADD COLUMN "previous_stale_timeout_seconds" INTEGER;
ALTER TABLE "cluster_settings" ADD COLUMN "encryption_check" TEXT;

-- A cluster created by this migration run (no server ever registered, settings never saved) starts with the
-- new defaults; an existing cluster keeps what it has.
UPDATE "cluster_settings" SET "heartbeat_frequency_seconds" = 10, "stale_timeout_seconds" = 60
WHERE "id" = 1 AND "revision" = 1 AND NOT EXISTS (SELECT 1 FROM "servers") AND NOT EXISTS (SELECT 1 FROM "events");
