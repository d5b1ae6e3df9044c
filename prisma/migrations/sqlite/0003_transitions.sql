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

-- SQLite cannot change a column's default: the settings table is rebuilt with the new defaults (10 s / 60 s)
-- and the columns that carry a settings change through its transition, and the cluster's key check.
CREATE TABLE "cluster_settings_new" (
    "id" INTEGER NOT NULL PRIMARY KEY DEFAULT 1,
    "load_balancing" BOOLEAN NOT NULL DEFAULT false,
    "automatic_failover" BOOLEAN NOT NULL DEFAULT true,
    "heartbeat_frequency_seconds" INTEGER NOT NULL DEFAULT 10,
    "stale_timeout_seconds" INTEGER NOT NULL DEFAULT 60,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "updated_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_at_ms" BIGINT,
    "previous_stale_timeout_seconds" INTEGER,
    "encryption_check" TEXT
);
INSERT INTO "cluster_settings_new" ("id", "load_balancing", "automatic_failover", "heartbeat_frequency_seconds",
    "stale_timeout_seconds", "revision", "updated_at")
SELECT "id", "load_balancing", "automatic_failover", "heartbeat_frequency_seconds", "stale_timeout_seconds",
    "revision", "updated_at" FROM "cluster_settings";
DROP TABLE "cluster_settings";
ALTER TABLE "cluster_settings_new" RENAME TO "cluster_settings";

-- A cluster created by this migration run (no server ever registered, settings never saved) starts with the
-- new defaults; an existing cluster keeps what it has.
UPDATE "cluster_settings" SET "heartbeat_frequency_seconds" = 10, "stale_timeout_seconds" = 60
WHERE "id" = 1 AND "revision" = 1 AND NOT EXISTS (SELECT 1 FROM "servers") AND NOT EXISTS (SELECT 1 FROM "events");
