-- An administrator can drain a service component before maintenance: it keeps heartbeating but never takes
-- the primary lease until it is resumed. Who drained it and when (database clock); null while not drained.
ALTER TABLE "components" ADD COLUMN "drained_at_ms" BIGINT;
ALTER TABLE "components" ADD COLUMN "drained_by" TEXT;
