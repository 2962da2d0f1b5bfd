-- The sync job queue: one row per sync of a store and day, claimed by the worker under a
-- lease (functions/30-queue.sql).
CREATE TYPE @extschema@.job_state AS ENUM ('queued', 'running', 'done', 'failed', 'dead', 'skipped');
COMMENT ON TYPE @extschema@.job_state IS
  'queued: waiting for run_after (also a job whose store was busy with another sync: it runs after it). running: leased by a worker. done: every account synced or finally failed (see sync_logs). failed: no account could be synced and retrying cannot help. dead: retries exhausted. skipped: historical, set by tthub before 0.3 when the store was busy; nothing sets it any more.';

CREATE TABLE @extschema@.sync_jobs (
  store_code       varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  job_id           bigserial   NOT NULL,
  job_type         text        NOT NULL DEFAULT 'daily_sync',
  snapshot_date    date,
  state            @extschema@.job_state NOT NULL DEFAULT 'queued',
  attempts         integer     NOT NULL DEFAULT 0,
  run_after        timestamptz NOT NULL DEFAULT now(),
  lease_until      timestamptz,
  worker_pid       integer,
  current_open_id  varchar(128),
  pages_fetched    integer     NOT NULL DEFAULT 0,
  videos_seen      bigint      NOT NULL DEFAULT 0,
  last_error       text,
  last_http_status integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, job_id),
  -- Refresh jobs (tthub_enqueue_due) are for no snapshot day: they never stand in the way
  -- of a store's daily or manual sync (one pending per store and day).
  CONSTRAINT sync_jobs_snapshot_date_check CHECK ((job_type = 'refresh') = (snapshot_date IS NULL))
);
-- One pending job per store and day: enqueuing again returns it (tthub_sync).
CREATE UNIQUE INDEX sync_jobs_one_pending_idx ON @extschema@.sync_jobs (store_code, snapshot_date)
  WHERE state IN ('queued', 'running');
-- One pending refresh per store (tthub_enqueue_due).
CREATE UNIQUE INDEX sync_jobs_one_refresh_idx ON @extschema@.sync_jobs (store_code)
  WHERE state IN ('queued', 'running') AND job_type = 'refresh';
-- The claim's order (run_after, then job_id): the claim and the worker's next-due query
-- read the queue's head in this order and stop, whatever the queue's length.
CREATE INDEX sync_jobs_queue_order_idx ON @extschema@.sync_jobs (run_after, job_id) WHERE state = 'queued';
-- "Has this store a running job?", asked for each queued job the claim considers: an
-- index of the running jobs alone (a handful) instead of every pending one.
CREATE INDEX sync_jobs_running_idx ON @extschema@.sync_jobs (store_code) WHERE state = 'running';
CREATE INDEX sync_jobs_finished_idx ON @extschema@.sync_jobs (finished_at);
COMMENT ON TABLE @extschema@.sync_jobs IS 'The sync job queue: claimed by the worker with FOR UPDATE SKIP LOCKED and held under a lease.';
COMMENT ON COLUMN @extschema@.sync_jobs.store_code IS 'Store to sync (all its CONNECTED accounts).';
COMMENT ON COLUMN @extschema@.sync_jobs.job_id IS 'Job number, as returned by tthub_sync.';
COMMENT ON COLUMN @extschema@.sync_jobs.job_type IS 'daily_sync (pg_cron), manual_sync (tthub_sync), first_sync (a new connection) or refresh (tthub_enqueue_due: what the refresh planner chose for the store).';
COMMENT ON COLUMN @extschema@.sync_jobs.snapshot_date IS 'Snapshot day the job writes, fixed when it is enqueued; NULL for a refresh job (job_type refresh), which writes under the day of each observation.';
COMMENT ON COLUMN @extschema@.sync_jobs.state IS 'See the type tthub.job_state.';
COMMENT ON COLUMN @extschema@.sync_jobs.attempts IS 'Attempts spent (a 429 spends none).';
COMMENT ON COLUMN @extschema@.sync_jobs.run_after IS 'Not claimed before this time (backoff, rate limit).';
COMMENT ON COLUMN @extschema@.sync_jobs.lease_until IS 'A running job whose lease passed is taken again (its worker died).';
COMMENT ON COLUMN @extschema@.sync_jobs.worker_pid IS 'Process running the job.';
COMMENT ON COLUMN @extschema@.sync_jobs.current_open_id IS 'Account being synced now.';
COMMENT ON COLUMN @extschema@.sync_jobs.pages_fetched IS 'Pages of videos fetched by the current attempt.';
COMMENT ON COLUMN @extschema@.sync_jobs.videos_seen IS 'Videos written by the current attempt.';
COMMENT ON COLUMN @extschema@.sync_jobs.last_error IS 'Why the last attempt failed (never contains a token).';
COMMENT ON COLUMN @extschema@.sync_jobs.last_http_status IS 'HTTP status of the failing TikTok response, if any.';
COMMENT ON COLUMN @extschema@.sync_jobs.created_at IS 'When the job was enqueued.';
COMMENT ON COLUMN @extschema@.sync_jobs.started_at IS 'When the current or last attempt started.';
COMMENT ON COLUMN @extschema@.sync_jobs.finished_at IS 'When the job reached a final state.';
COMMENT ON COLUMN @extschema@.sync_jobs.updated_at IS 'Last change (the heartbeat of a running job).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_jobs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_jobs_job_id_seq', '');
GRANT SELECT ON @extschema@.sync_jobs TO tthub_admin;
