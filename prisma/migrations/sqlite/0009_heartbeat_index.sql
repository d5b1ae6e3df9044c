-- release: 1.6.0
-- phase: expand
-- Every heartbeat finds its process's components by instance id: without an index that is a scan of the
-- whole table per heartbeat, so the database's work grew with the square of the cluster's size (measured:
-- 1.45 ms of PostgreSQL CPU per heartbeat at 500 servers). The columns a heartbeat writes are not indexed,
-- so its updates stay heap-only on PostgreSQL.
CREATE INDEX "components_instance_id_idx" ON "components"("instance_id");
