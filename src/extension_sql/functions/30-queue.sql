-- The sync job queue: enqueuing, the worker's claim and orphan requeue, retries, the pg_cron schedule, views.

CREATE OR REPLACE FUNCTION @extschema@._wake_worker() RETURNS void
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_wake_worker';
COMMENT ON FUNCTION @extschema@._wake_worker() IS 'Internal: wake the sync worker when this transaction commits.';
REVOKE ALL ON FUNCTION @extschema@._wake_worker() FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._enqueue(p_store_code text, p_job_type text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  day date := @extschema@.store_today(p_store_code);
  jid bigint;
BEGIN
  INSERT INTO @extschema@.sync_jobs (store_code, snapshot_date, job_type)
  VALUES (p_store_code, day, p_job_type)
  ON CONFLICT (store_code, snapshot_date) WHERE state IN ('queued', 'running') DO NOTHING
  RETURNING job_id INTO jid;
  IF jid IS NULL THEN
    SELECT job_id INTO jid FROM @extschema@.sync_jobs
     WHERE store_code = p_store_code AND snapshot_date = day AND state IN ('queued', 'running');
  ELSE
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN jid;
END
$$;
COMMENT ON FUNCTION @extschema@._enqueue(text, text) IS 'Internal: enqueue (or find the pending) job of a store for its today (in its time zone).';
REVOKE ALL ON FUNCTION @extschema@._enqueue(text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tthub_sync(store_code text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = tthub_sync.store_code AND s.disabled_at IS NOT NULL) THEN
    RAISE EXCEPTION 'store "%" is disabled', store_code
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'SELECT tthub.tthub_enable_store(...) to sync it again.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM @extschema@.store_accounts a
                  WHERE a.store_code = tthub_sync.store_code AND a.status IN ('CONNECTED', 'ERROR')) THEN
    RAISE EXCEPTION 'store "%" has no connected TikTok account', store_code
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Connect an account (OAuth) or reconnect one in NEED_RECONNECT; see tthub.accounts.';
  END IF;
  RETURN @extschema@._enqueue(store_code, 'manual_sync'::text);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_sync(text) IS
  'Enqueue a sync of every CONNECTED account of the store for today and wake the worker; returns the job id (the pending one if there is one).';
REVOKE ALL ON FUNCTION @extschema@.tthub_sync(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_sync(text) TO tthub_admin;

-- The stores to sync and each one's today. The day is computed here, on the
-- coordinator, store by store (a few hundred rows of a reference table on Citus),
-- then the jobs are written by one statement: a stable function of a setting inside
-- a distributed INSERT ... SELECT would run on the worker nodes.
CREATE OR REPLACE FUNCTION @extschema@._stores_to_sync(OUT store_codes text[], OUT days date[])
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  store_codes := '{}';
  days := '{}';
  FOR r IN
    SELECT s.store_code, s.timezone FROM @extschema@.stores s
     WHERE s.disabled_at IS NULL
       AND s.store_code IN (SELECT a.store_code FROM @extschema@.store_accounts a WHERE a.status IN ('CONNECTED', 'ERROR'))
     ORDER BY s.store_code
  LOOP
    store_codes := store_codes || r.store_code::text;
    days := days || @extschema@._day_in(r.timezone);
  END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._stores_to_sync() IS
  'Internal: active stores with an account to sync (CONNECTED or ERROR), and today in each one''s time zone.';
REVOKE ALL ON FUNCTION @extschema@._stores_to_sync() FROM PUBLIC;

-- The daily jobs of the stores to sync, each for its today; only_turned: only the
-- stores whose today has no job yet (any state: a day is enqueued once that way).
CREATE OR REPLACE FUNCTION @extschema@._enqueue_daily(only_turned boolean) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  created integer;
  t record;
BEGIN
  SELECT * INTO t FROM @extschema@._stores_to_sync();
  WITH enqueued AS (
    INSERT INTO @extschema@.sync_jobs (store_code, snapshot_date, job_type)
    SELECT x.store_code, x.day, 'daily_sync' FROM unnest(t.store_codes, t.days) AS x(store_code, day)
     WHERE NOT only_turned
        OR (x.store_code, x.day) NOT IN (  -- uncorrelated: Citus plans it on its own
             SELECT j.store_code::text, j.snapshot_date FROM @extschema@.sync_jobs j
              WHERE j.snapshot_date >= (SELECT min(d) FROM unnest(t.days) d))
    ON CONFLICT (store_code, snapshot_date) WHERE state IN ('queued', 'running') DO NOTHING
    RETURNING 1)
  SELECT count(*) INTO created FROM enqueued;
  IF created > 0 THEN
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN created;
END
$$;
COMMENT ON FUNCTION @extschema@._enqueue_daily(boolean) IS
  'Internal: enqueue the daily sync of every store to sync for its today (only_turned: only those whose today has no job yet); returns how many jobs were created.';
REVOKE ALL ON FUNCTION @extschema@._enqueue_daily(boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tthub_sync_all() RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN @extschema@._enqueue_daily(false);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_sync_all() IS
  'Enqueue today''s sync (each store''s today, in its time zone) of every active store with a CONNECTED account (what the pg_cron job of tthub_schedule_daily_sync runs); returns how many jobs were created.';
REVOKE ALL ON FUNCTION @extschema@.tthub_sync_all() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_sync_all() TO tthub_admin;

------------------------------------------------------------------------------
-- Citus: the queue functions in shapes Citus distributes. Same behaviour on one
-- node. Citus refuses FOR UPDATE without a store_code equality, parameterised
-- LANGUAGE sql functions over its tables, and now() inside CASE or COALESCE in an
-- UPDATE or DELETE.
------------------------------------------------------------------------------

-- The job's store first (no lock), then the row locked with the store_code equality.
CREATE OR REPLACE FUNCTION @extschema@.tthub_retry_job(job_id bigint) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sc varchar(50);
  j @extschema@.sync_jobs;
BEGIN
  PERFORM @extschema@._require_coordinator('tthub_retry_job');
  SELECT s.store_code INTO sc FROM @extschema@.sync_jobs s WHERE s.job_id = tthub_retry_job.job_id;
  IF FOUND THEN
    SELECT * INTO j FROM @extschema@.sync_jobs s
     WHERE s.store_code = sc AND s.job_id = tthub_retry_job.job_id
       FOR UPDATE;
  END IF;
  IF j.job_id IS NULL THEN
    RAISE EXCEPTION 'sync job % does not exist', job_id USING ERRCODE = 'no_data_found';
  END IF;
  IF j.state NOT IN ('dead', 'failed') THEN
    RAISE EXCEPTION 'sync job % is %, only dead or failed jobs can be retried', job_id, j.state
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  BEGIN
    UPDATE @extschema@.sync_jobs s
       SET state = 'queued', attempts = 0, run_after = now(), finished_at = NULL, lease_until = NULL,
           worker_pid = NULL, last_error = NULL, last_http_status = NULL, updated_at = now()
     WHERE s.store_code = j.store_code AND s.job_id = j.job_id;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'store "%" already has a pending sync for %', j.store_code, j.snapshot_date
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END;
  PERFORM @extschema@._wake_worker();
  RETURN job_id;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_retry_job(bigint) IS 'Put a dead or failed job back in the queue with fresh attempts.';
REVOKE ALL ON FUNCTION @extschema@.tthub_retry_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_retry_job(bigint) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_sync_now(store_code text,
    OUT accounts integer, OUT videos_written bigint, OUT pages integer,
    OUT duration_ms bigint, OUT status text, OUT message text)
  LANGUAGE c VOLATILE STRICT
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_sync_now';
COMMENT ON FUNCTION @extschema@.tthub_sync_now(text) IS
  'Sync the store in this session and report a summary; status busy (nothing synced, queued jobs stay queued) when another sync of the store is running. Holds the store until the transaction ends. The one documented place where a transaction spans TikTok calls: use it for checks and tests, the worker for production.';
REVOKE ALL ON FUNCTION @extschema@.tthub_sync_now(text) FROM PUBLIC;

------------------------------------------------------------------------------
-- One sync per store, really.
--
-- TikTok rotates the refresh token at every refresh, so two syncs of one store at
-- once send the same refresh token twice and the second one puts the account in
-- NEED_RECONNECT. The store lock (src/ext/sync/store_lock.cpp) keeps syncs apart; the
-- claim below never hands out what would only find the lock taken, and a job that
-- does find it taken waits in the queue instead of being lost.
------------------------------------------------------------------------------

-- The claimable-job rule, written once: the claim below hands out these jobs once due,
-- and the worker sleeps until the first of them is (_next_job_due_ms). The functions
-- that read it plan it with their own settings (inlined, as if written in place).
CREATE OR REPLACE VIEW @extschema@._claimable_jobs AS
  SELECT q.store_code, q.job_id, q.run_after
    FROM @extschema@.sync_jobs q
   WHERE q.state = 'queued'
     AND NOT EXISTS (SELECT 1 FROM @extschema@.sync_jobs r
                      WHERE r.store_code = q.store_code AND r.state = 'running')
     -- A disabled store is not synced, whatever queued its job (a connection that
     -- completed as the store was disabled, an old job).
     AND NOT EXISTS (SELECT 1 FROM @extschema@.stores s
                      WHERE s.store_code = q.store_code AND s.disabled_at IS NOT NULL);
COMMENT ON VIEW @extschema@._claimable_jobs IS
  'Internal: the queued jobs a claim may hand out once due (run_after): none of a store that has a running job or is disabled. The one home of that rule, for _claim_jobs and _next_job_due_ms.';
COMMENT ON COLUMN @extschema@._claimable_jobs.store_code IS 'The job''s store.';
COMMENT ON COLUMN @extschema@._claimable_jobs.job_id IS 'The job.';
COMMENT ON COLUMN @extschema@._claimable_jobs.run_after IS 'When it is due: a claim hands it out from then on.';
REVOKE ALL ON @extschema@._claimable_jobs FROM PUBLIC;

-- At most one job per store, and none of a store that has a running job, so that
-- the worker never runs two jobs of one store side by side. Rows are locked one by
-- one with the store_code equality (FOR UPDATE SKIP LOCKED: a job tthub_sync_now
-- holds is passed over, not waited for).
--
-- The candidates are read in the queue's order from sync_jobs_queue_order_idx, each
-- checked through sync_jobs_running_idx and stores' key, and the loop stops at
-- max_jobs: a claim costs the head of the queue, not the queue. The plan must not
-- depend on statistics for that. The worker keeps this plan until an ANALYZE of the
-- table replaces it, and the queue grows from empty to 10,000 jobs in seconds
-- (tthub_sync_all), before autoanalyze sees it. Plans made while the queue was empty sorted every queued job,
-- or read the whole table for each candidate's "running job?" (a table of no pages
-- costs nothing to scan): a 10,000-store daily run drained in 65-130 s against 17 s
-- (bench/README.md, bench/run.sh queue). So neither a sort nor a sequential scan: the
-- indexes' plan is the only one. (On Citus these settings stay on the coordinator;
-- each shard plans its part afresh, on its own statistics.)
CREATE OR REPLACE FUNCTION @extschema@._claim_jobs(max_jobs integer, lease interval, pid integer)
  RETURNS SETOF @extschema@.sync_jobs
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  SET enable_sort = off
  SET enable_seqscan = off
AS $$
DECLARE
  picked text[] := '{}';
  c record;
BEGIN
  IF coalesce(max_jobs, 0) <= 0 THEN
    RETURN;
  END IF;
  FOR c IN
    SELECT q.store_code, q.job_id
      FROM @extschema@._claimable_jobs q
     WHERE q.run_after <= now()
     ORDER BY q.run_after, q.job_id
  LOOP
    CONTINUE WHEN c.store_code::text = ANY (picked);
    PERFORM 1 FROM @extschema@.sync_jobs j
      WHERE j.store_code = c.store_code AND j.job_id = c.job_id AND j.state = 'queued'
        FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    picked := picked || c.store_code::text;
    RETURN QUERY
      UPDATE @extschema@.sync_jobs j
         SET state = 'running', attempts = j.attempts + 1, lease_until = now() + lease, worker_pid = pid,
             started_at = now(), pages_fetched = 0, videos_seen = 0, updated_at = now()
       WHERE j.store_code = c.store_code AND j.job_id = c.job_id
      RETURNING j.*;
    EXIT WHEN cardinality(picked) >= max_jobs;
  END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._claim_jobs(integer, interval, integer) IS
  'Internal: lease up to max_jobs due jobs to a worker, at most one per store, none of a store that has a running job or is disabled.';
REVOKE ALL ON FUNCTION @extschema@._claim_jobs(integer, interval, integer) FROM PUBLIC;

-- Milliseconds until the first job _claim_jobs would hand out is due (0: due now),
-- NULL when there is none: the worker sleeps until then. The same candidates, in the
-- same order, with the same plan rule (the indexes' plan, whatever the statistics).
CREATE OR REPLACE FUNCTION @extschema@._next_job_due_ms() RETURNS bigint
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  SET enable_sort = off
  SET enable_seqscan = off
AS $$
BEGIN
  RETURN (SELECT greatest(0, ceil(extract(epoch FROM q.run_after - now()) * 1000))::bigint
            FROM @extschema@._claimable_jobs q
           ORDER BY q.run_after, q.job_id
           LIMIT 1);
END
$$;
COMMENT ON FUNCTION @extschema@._next_job_due_ms() IS
  'Internal: milliseconds until the first job a claim would hand out is due (0: now; NULL: none).';
REVOKE ALL ON FUNCTION @extschema@._next_job_due_ms() FROM PUBLIC;

-- Process ids are node-local: only the coordinator, where the sync worker and
-- tthub_sync_now run, can tell whether a job's process is gone. On a worker node the
-- requeue does nothing (it would take the coordinator's live jobs for orphans).
-- The worker's maintenance and this function run the same C++ (job_queue.h): what
-- becomes of an orphan, and its events, is decided by the rule every attempt follows
-- (src/core/job_outcome.h).
CREATE OR REPLACE FUNCTION @extschema@._requeue_orphans(max_attempts integer) RETURNS integer
  LANGUAGE c VOLATILE STRICT
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_requeue_orphans';
COMMENT ON FUNCTION @extschema@._requeue_orphans(integer) IS
  'Internal: put running jobs whose process is gone (or whose lease passed) back in the queue, or mark them dead when their attempts are spent. Does nothing on a Citus worker node.';
REVOKE ALL ON FUNCTION @extschema@._requeue_orphans(integer) FROM PUBLIC;

-- The queue's writes from other subjects' functions (a disabled store, retention)
-- are these, so that every SQL write to sync_jobs is in this file.
CREATE OR REPLACE FUNCTION @extschema@._drop_queued_jobs(store_code text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  DELETE FROM @extschema@.sync_jobs j WHERE j.store_code = _drop_queued_jobs.store_code AND j.state = 'queued';
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._drop_queued_jobs(text) IS
  'Internal: delete the store''s jobs not started yet (a running one finishes); returns how many.';
REVOKE ALL ON FUNCTION @extschema@._drop_queued_jobs(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._prune_jobs(cutoff timestamptz) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  DELETE FROM @extschema@.sync_jobs
   WHERE state IN ('done', 'failed', 'dead', 'skipped') AND finished_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._prune_jobs(timestamptz) IS
  'Internal: delete jobs that finished before cutoff; returns how many.';
REVOKE ALL ON FUNCTION @extschema@._prune_jobs(timestamptz) FROM PUBLIC;

CREATE OR REPLACE VIEW @extschema@.sync_progress AS
  SELECT j.store_code, j.job_id, j.current_open_id AS open_id, j.pages_fetched, j.videos_seen,
         j.started_at, j.attempts AS attempt, j.lease_until, j.worker_pid
    FROM @extschema@.sync_jobs j
   WHERE j.state = 'running';
COMMENT ON VIEW @extschema@.sync_progress IS 'Running sync jobs: store, account, pages and videos so far, start, attempt.';
COMMENT ON COLUMN @extschema@.sync_progress.store_code IS 'Store being synced.';
COMMENT ON COLUMN @extschema@.sync_progress.job_id IS 'The running job.';
COMMENT ON COLUMN @extschema@.sync_progress.open_id IS 'Account being synced now.';
COMMENT ON COLUMN @extschema@.sync_progress.pages_fetched IS 'Pages of videos fetched by this attempt so far.';
COMMENT ON COLUMN @extschema@.sync_progress.videos_seen IS 'Videos written by this attempt so far.';
COMMENT ON COLUMN @extschema@.sync_progress.started_at IS 'When this attempt started.';
COMMENT ON COLUMN @extschema@.sync_progress.attempt IS 'Attempt number (1 for the first).';
COMMENT ON COLUMN @extschema@.sync_progress.lease_until IS 'The job is taken again after this if its worker stops renewing it.';
COMMENT ON COLUMN @extschema@.sync_progress.worker_pid IS 'Process running the job.';
GRANT SELECT ON @extschema@.sync_progress TO tthub_admin;

CREATE OR REPLACE VIEW @extschema@.job_queue AS
  SELECT s.state, count(j.job_id) AS jobs, min(j.run_after) FILTER (WHERE j.state = 'queued') AS next_run_after
    FROM unnest(enum_range(NULL::@extschema@.job_state)) AS s(state)
    LEFT JOIN @extschema@.sync_jobs j ON j.state = s.state
   GROUP BY s.state
   ORDER BY s.state;
COMMENT ON VIEW @extschema@.job_queue IS 'Sync jobs counted by state.';
COMMENT ON COLUMN @extschema@.job_queue.state IS 'Job state (see the type tthub.job_state).';
COMMENT ON COLUMN @extschema@.job_queue.jobs IS 'Jobs in that state (finished ones are kept tthub.log_retention days).';
COMMENT ON COLUMN @extschema@.job_queue.next_run_after IS 'For queued jobs: when the earliest may run.';
GRANT SELECT ON @extschema@.job_queue TO tthub_admin;

CREATE OR REPLACE VIEW @extschema@.dead_jobs AS
  SELECT store_code, job_id, job_type, snapshot_date, attempts, last_error, last_http_status,
         created_at, finished_at
    FROM @extschema@.sync_jobs
   WHERE state = 'dead';
COMMENT ON VIEW @extschema@.dead_jobs IS 'Jobs whose retries are exhausted; tthub_retry_job(job_id) puts one back.';
COMMENT ON COLUMN @extschema@.dead_jobs.store_code IS 'Store of the job.';
COMMENT ON COLUMN @extschema@.dead_jobs.job_id IS 'Job number (tthub_retry_job(job_id) puts it back).';
COMMENT ON COLUMN @extschema@.dead_jobs.job_type IS 'daily_sync, manual_sync, first_sync or refresh.';
COMMENT ON COLUMN @extschema@.dead_jobs.snapshot_date IS 'Snapshot day the job was to write.';
COMMENT ON COLUMN @extschema@.dead_jobs.attempts IS 'Attempts spent.';
COMMENT ON COLUMN @extschema@.dead_jobs.last_error IS 'Why the last attempt failed (never contains a token).';
COMMENT ON COLUMN @extschema@.dead_jobs.last_http_status IS 'HTTP status of the failing TikTok response, if any.';
COMMENT ON COLUMN @extschema@.dead_jobs.created_at IS 'When the job was enqueued.';
COMMENT ON COLUMN @extschema@.dead_jobs.finished_at IS 'When its retries ran out.';
GRANT SELECT ON @extschema@.dead_jobs TO tthub_admin;

-- One named pg_cron entry per tthub schedule (the daily run, the refresh): scheduling
-- again replaces it, unscheduling says whether there was one.
CREATE OR REPLACE FUNCTION @extschema@._cron_schedule(jobname text, schedule text, command text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF to_regnamespace('cron') IS NULL THEN
    RAISE EXCEPTION 'pg_cron is not installed in this database'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'CREATE EXTENSION pg_cron in the database named by cron.database_name.';
  END IF;
  -- pg_cron 1.4 evaluates schedules in GMT.
  RETURN cron.schedule(jobname, schedule, command);
END
$$;
COMMENT ON FUNCTION @extschema@._cron_schedule(text, text, text) IS
  'Internal: create or update the named pg_cron job (schedule in GMT); returns its cron job id.';
REVOKE ALL ON FUNCTION @extschema@._cron_schedule(text, text, text) FROM PUBLIC;

-- Each store shortly after its own midnight: run often (every 10 minutes), it enqueues
-- the stores whose day has turned, that is whose today has no job yet (done, failed or
-- dead ones count: a day is enqueued once; tthub_retry_job and tthub_sync are the
-- ways to run it again).
CREATE OR REPLACE FUNCTION @extschema@.tthub_sync_day_turned() RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN @extschema@._enqueue_daily(true);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_sync_day_turned() IS
  'Enqueue the daily sync of every active store with a CONNECTED account whose today (in its time zone) has no job yet: run every few minutes (tthub_schedule_local_midnight_sync), each store syncs shortly after its own midnight. Returns how many jobs were created.';
REVOKE ALL ON FUNCTION @extschema@.tthub_sync_day_turned() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_sync_day_turned() TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_schedule_local_midnight_sync(every_minutes integer DEFAULT 10) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF every_minutes IS NULL OR every_minutes NOT BETWEEN 1 AND 59 THEN
    RAISE EXCEPTION 'every_minutes must be between 1 and 59' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- The same job as tthub_schedule_daily_sync: one entry, either way.
  RETURN @extschema@._cron_schedule('tthub-daily-sync', format('*/%s * * * *', every_minutes),
                                    'SELECT @extschema@.tthub_sync_day_turned()');
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_schedule_local_midnight_sync(integer) IS
  'Create or replace the pg_cron job "tthub-daily-sync" so that it runs tthub_sync_day_turned() every every_minutes minutes: each store syncs within that long after its own local midnight. Returns the cron job id.';
REVOKE ALL ON FUNCTION @extschema@.tthub_schedule_local_midnight_sync(integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._cron_unschedule(jobname text) RETURNS boolean
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF to_regnamespace('cron') IS NULL
     OR NOT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobname = _cron_unschedule.jobname) THEN
    RETURN false;
  END IF;
  RETURN cron.unschedule(jobname);
END
$$;
COMMENT ON FUNCTION @extschema@._cron_unschedule(text) IS 'Internal: remove the named pg_cron job; false if there was none.';
REVOKE ALL ON FUNCTION @extschema@._cron_unschedule(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tthub_schedule_daily_sync(cron text DEFAULT '0 2 * * *') RETURNS bigint
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
  RETURN @extschema@._cron_schedule('tthub-daily-sync', cron, 'SELECT @extschema@.tthub_sync_all()');
COMMENT ON FUNCTION @extschema@.tthub_schedule_daily_sync(text) IS
  'Create or update the pg_cron job "tthub-daily-sync" that runs tthub_sync_all() (schedule in GMT); returns its cron job id.';
REVOKE ALL ON FUNCTION @extschema@.tthub_schedule_daily_sync(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tthub_unschedule_daily_sync() RETURNS boolean
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
  RETURN @extschema@._cron_unschedule('tthub-daily-sync');
COMMENT ON FUNCTION @extschema@.tthub_unschedule_daily_sync() IS 'Remove the pg_cron job "tthub-daily-sync"; false if there was none.';
REVOKE ALL ON FUNCTION @extschema@.tthub_unschedule_daily_sync() FROM PUBLIC;
