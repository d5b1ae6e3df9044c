-- release: 1.5.0
-- phase: expand
-- An administrator can drain a service component before maintenance: it keeps heartbeating but never takes
-- the primary lease until it is resumed. Who drained it and when (database clock); null while not drained.
ALTER TABLE "components" ADD COLUMN "drained_at_ms" BIGINT;
ALTER TABLE "components" ADD COLUMN "drained_by" TEXT;

-- The drained component that held the lease when it was drained: a takeover checks it on the lease row itself
-- (a subquery on components could read an older snapshot when PostgreSQL re-checks a waiting UPDATE).
ALTER TABLE "leases" ADD COLUMN "drained_holder" TEXT;
