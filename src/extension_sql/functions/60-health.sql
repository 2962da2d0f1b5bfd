-- Health: the sync worker as shared memory (or Citus) knows it, and tthub.health.

-- tthub.health tells the truth to every role (the worker's liveness comes from shared
-- memory, not pg_stat_activity, which hides other roles' backends) and reports failed
-- jobs, stale accounts, incomplete days and expiring tokens: what a DBA is paged for.

------------------------------------------------------------------------------
-- The sync worker, as shared memory knows it.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.worker_pid() RETURNS integer
  LANGUAGE c VOLATILE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_worker_pid';
COMMENT ON FUNCTION @extschema@.worker_pid() IS
  'Process id of the sync worker serving this database (tthub.database); NULL when none is running. Read from shared memory, so every role sees the truth.';
REVOKE ALL ON FUNCTION @extschema@.worker_pid() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.worker_pid() TO tthub_admin, tthub_reader;

-- How long ago the sync worker passed its loop, as shared memory knows it: a worker
-- that runs (worker_pid) but has not passed its loop for minutes is stuck.
CREATE OR REPLACE FUNCTION @extschema@._worker_heartbeat_age() RETURNS float8
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_worker_heartbeat_age';
COMMENT ON FUNCTION @extschema@._worker_heartbeat_age() IS
  'Internal: seconds since the sync worker serving this database last passed its loop (it does at least once a minute); NULL when no worker runs. Read from shared memory.';
REVOKE ALL ON FUNCTION @extschema@._worker_heartbeat_age() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._worker_heartbeat_age() TO tthub_admin, tthub_reader;

-- The sync workers serving this database. On Citus they are counted across the
-- cluster (citus_stat_activity): one is expected, on the coordinator, and a worker
-- node's own pg_stat_activity or shared memory would not see it. Without Citus,
-- shared memory (worker_pid()), which tells every role the truth.
CREATE OR REPLACE FUNCTION @extschema@._sync_workers_running() RETURNS integer
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n integer;
BEGIN
  IF @extschema@._citus_node_role() = 'none' THEN
    RETURN (@extschema@.worker_pid() IS NOT NULL)::integer;
  END IF;
  EXECUTE 'SELECT count(*) FROM pg_catalog.citus_stat_activity
            WHERE backend_type = ''tthub sync worker'' AND datname = current_database()' INTO n;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._sync_workers_running() IS
  'Internal: tthub sync workers alive for this database; on Citus, counted on every node (citus_stat_activity).';
REVOKE ALL ON FUNCTION @extschema@._sync_workers_running() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._sync_workers_running() TO tthub_admin, tthub_reader;

CREATE OR REPLACE VIEW @extschema@.health AS
  SELECT metric, value, help FROM (VALUES
    ('tthub_jobs_queued', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'queued')::float8, 'Sync jobs waiting to run.'),
    ('tthub_jobs_running', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'running')::float8, 'Sync jobs running.'),
    ('tthub_jobs_dead', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'dead')::float8, 'Jobs whose retries ran out (see tthub.dead_jobs).'),
    ('tthub_accounts_connected', (SELECT count(*) FROM @extschema@.accounts WHERE status = 'CONNECTED')::float8, 'Accounts synced daily.'),
    ('tthub_accounts_need_reconnect', (SELECT count(*) FROM @extschema@.accounts WHERE status = 'NEED_RECONNECT')::float8, 'Accounts whose owner must reconnect.'),
    ('tthub_accounts_error', (SELECT count(*) FROM @extschema@.accounts WHERE status = 'ERROR')::float8, 'Accounts whose last sync failed.'),
    ('tthub_last_daily_run_age_seconds',
     (SELECT extract(epoch FROM now() - max(finished_at)) FROM @extschema@.sync_jobs
       WHERE job_type = 'daily_sync' AND state = 'done')::float8,
     'Seconds since a daily sync job last finished (NULL: never).'),
    ('tthub_oldest_pending_job_age_seconds',
     coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM @extschema@.sync_jobs
                WHERE state IN ('queued', 'running'))::float8, 0),
     'Age of the oldest queued or running job (0: none).'),
    ('tthub_worker_running', @extschema@._sync_workers_running()::float8,
     'tthub sync workers alive for this database (1 expected; on Citus, counted on every node).'),
    ('tthub_worker_heartbeat_age_seconds', @extschema@._worker_heartbeat_age(),
     'Seconds since the sync worker last passed its loop (below 60 when it works; NULL: no worker on this node). A running worker with a growing age is stuck.'),
    ('tthub_token_key_loaded', @extschema@._token_key_loaded()::float8,
     '1 when the server''s token key reads every stored token; 0: the key file is missing or unreadable, or a stored token''s key id is unknown (rotation without tthub.token_key_previous_file). Syncs then fail as configuration errors and no account changes status.'),
    ('tthub_jobs_failed', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'failed')::float8,
     'Jobs that ended failed: no account could be synced and retrying cannot help (kept tthub.log_retention days; tthub_retry_job puts one back).'),
    ('tthub_sync_attempts_failed_24h',
     (SELECT count(*) FROM @extschema@.sync_logs
       WHERE status = 'FAILED' AND started_at > now() - interval '24 hours')::float8,
     'Attempts logged FAILED in tthub.sync_logs during the last 24 hours.'),
    ('tthub_accounts_stale',
     (SELECT count(*) FROM @extschema@.accounts a
        JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
       WHERE a.status IN ('CONNECTED', 'ERROR') AND a.connected_at < now() - interval '1 day'
         AND (a.store_code, a.open_id) NOT IN (  -- uncorrelated: Citus plans it on its own
               SELECT l.store_code, l.open_id FROM @extschema@.sync_ledger l
                 JOIN @extschema@.stores t ON t.store_code = l.store_code
                WHERE l.complete AND l.snapshot_date >= @extschema@._day_in(t.timezone) - 1))::float8,
     'Accounts to sync (CONNECTED or ERROR, store active, connected over a day ago) with no complete snapshot day since yesterday (in the store''s time zone).'),
    ('tthub_incomplete_days_7d',
     (SELECT count(*) FROM @extschema@.sync_ledger l
        JOIN @extschema@.stores t ON t.store_code = l.store_code
       WHERE NOT l.complete AND l.snapshot_date >= @extschema@._day_in(t.timezone) - 7
         AND l.snapshot_date < @extschema@._day_in(t.timezone))::float8,
     'Account-days of the last 7 days (the store''s today, in its time zone, excluded) whose latest sync stopped before the end of the video list (tthub.sync_ledger).'),
    ('tthub_refresh_tokens_expiring_7d',
     (SELECT count(*) FROM @extschema@.accounts a
        JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
       WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at < now() + interval '7 days')::float8,
     'Accounts to sync (CONNECTED or ERROR, store active) whose refresh token expires within 7 days or has expired: their owner must reconnect.')
  ) AS m(metric, value, help);
COMMENT ON VIEW @extschema@.health IS 'tthub''s health, one row per metric (Prometheus-style names), for monitoring. The same for every role that may read it.';
COMMENT ON COLUMN @extschema@.health.metric IS 'Metric name.';
COMMENT ON COLUMN @extschema@.health.value IS 'Current value.';
COMMENT ON COLUMN @extschema@.health.help IS 'What it measures.';
GRANT SELECT ON @extschema@.health TO tthub_admin;
