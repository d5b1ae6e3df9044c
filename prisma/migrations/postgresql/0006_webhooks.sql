-- release: 1.5.0
-- phase: expand
-- Webhook endpoints that the primary notifies of events. The URL and the secret are sealed with a key derived
-- from the cluster's ENCRYPTION_KEY (AES-256-GCM): the database never holds them in clear. `kinds` is the
-- comma-framed list of event kinds to send (",component-stale,primary-changed,").
CREATE TABLE "webhooks" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "url_sealed" TEXT NOT NULL,
    "secret_sealed" TEXT NOT NULL,
    "kinds" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "created_by" TEXT NOT NULL
);

-- One row per event (or test) and endpoint: the primary sends it until the endpoint answers 2xx, with backoff,
-- for up to an hour. One row per event and endpoint at most, so a failover never makes a second one.
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "webhook_id" TEXT NOT NULL REFERENCES "webhooks" ("id") ON DELETE CASCADE,
    "event_id" INTEGER,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at_ms" BIGINT NOT NULL,
    "next_attempt_at_ms" BIGINT,
    "last_attempt_at_ms" BIGINT,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "delivered_at_ms" BIGINT,
    "epoch" BIGINT
);
CREATE UNIQUE INDEX "webhook_deliveries_webhook_id_event_id_key" ON "webhook_deliveries"("webhook_id", "event_id");
CREATE INDEX "webhook_deliveries_status_next_attempt_at_ms_idx" ON "webhook_deliveries"("status", "next_attempt_at_ms");
CREATE INDEX "webhook_deliveries_created_at_ms_idx" ON "webhook_deliveries"("created_at_ms");
