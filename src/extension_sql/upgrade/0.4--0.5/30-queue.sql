-- The queue's indexes for the claim (tables/30-queue.sql): the head of the queue in the
-- claim's order, and the running jobs alone. They replace sync_jobs_queued_idx
-- (run_after only: the claim sorted every queued job, on every claim).
CREATE INDEX IF NOT EXISTS sync_jobs_queue_order_idx ON @extschema@.sync_jobs (run_after, job_id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS sync_jobs_running_idx ON @extschema@.sync_jobs (store_code) WHERE state = 'running';
DROP INDEX IF EXISTS @extschema@.sync_jobs_queued_idx;
