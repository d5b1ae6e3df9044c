-- release: 1.1.0
-- phase: expand
ALTER TABLE "components" ADD COLUMN "observed_heartbeat" TEXT;
ALTER TABLE "components" ADD COLUMN "observed_keys" TEXT;

CREATE TABLE "leases" (
    "role" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT,
    "epoch" BIGINT NOT NULL DEFAULT 0,
    "expires_at_ms" BIGINT NOT NULL DEFAULT 0,
    "acquired_at_ms" BIGINT NOT NULL DEFAULT 0,
    "previous_holder" TEXT
);
INSERT INTO "leases" ("role") VALUES ('service');

CREATE TABLE "events" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "occurred_at_ms" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "server_name" TEXT,
    "component_id" TEXT,
    "component_type" TEXT,
    "actor" TEXT,
    "epoch" BIGINT,
    "message" TEXT NOT NULL
);
CREATE INDEX "events_occurred_at_ms_idx" ON "events"("occurred_at_ms");
