-- release: 1.6.0
-- phase: expand
-- Rolling upgrades (docs/upgrades.md): when each release was first seen running in the cluster (by the
-- database's clock), so that the overview can say since when an upgrade is in progress; and how long servers
-- may run an older release than the newest before that is a warning. Only additions: releases before
-- 1.6.0 read and write the tables they know as before.
CREATE TABLE "release_sightings" (
    "version" TEXT NOT NULL PRIMARY KEY,
    "first_seen_at_ms" BIGINT NOT NULL
);

ALTER TABLE "cluster_settings" ADD COLUMN "upgrade_window_minutes" INTEGER NOT NULL DEFAULT 60;
