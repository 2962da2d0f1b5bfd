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

-- Process ids are node-local: only the coordinator, where the sync worker and
-- tthub_sync_now run, can tell whether a job's process is gone. On a worker node the
-- requeue does nothing (it would take the coordinator's live jobs for orphans).
CREATE OR REPLACE FUNCTION @extschema@._requeue_orphans(max_attempts integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lost constant text := 'the worker running this job stopped';
  stores varchar[];
  jobs bigint[];
  states @extschema@.job_state[];
  data jsonb;
BEGIN
  IF @extschema@._citus_node_role() = 'worker' THEN
    RETURN 0;
  END IF;
  -- Collected first, the events emitted after: Citus allows no stable function (the
  -- enum's text) in RETURNING, nor another distributed statement while one is open.
  WITH orphans AS (
    UPDATE @extschema@.sync_jobs j
       SET state = CASE WHEN j.attempts >= max_attempts THEN 'dead'::@extschema@.job_state
                        ELSE 'queued'::@extschema@.job_state END,
           finished_at = now() + CASE WHEN j.attempts >= max_attempts THEN interval '0' END,
           last_error = lost,
           lease_until = NULL, worker_pid = NULL, current_open_id = NULL, run_after = now(), updated_at = now()
     WHERE j.state = 'running'
       AND (j.lease_until < now()
            OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                            WHERE a.pid = j.worker_pid AND a.backend_start <= j.started_at))
    RETURNING j.store_code, j.job_id, j.state)
  SELECT array_agg(o.store_code), array_agg(o.job_id), array_agg(o.state) INTO stores, jobs, states FROM orphans o;
  FOR i IN 1 .. coalesce(cardinality(jobs), 0) LOOP
    -- The attempt is spent, as queue::finish's failed attempts are: the same events.
    data := pg_catalog.jsonb_build_object('job_id', jobs[i], 'error', lost, 'next_state', states[i]::text);
    PERFORM @extschema@._emit_event('sync.failed', stores[i], data);
    IF states[i] = 'dead' THEN
      PERFORM @extschema@._emit_event('job.dead', stores[i], data);
    END IF;
  END LOOP;
  RETURN coalesce(cardinality(jobs), 0);
END
$$;
COMMENT ON FUNCTION @extschema@._requeue_orphans(integer) IS
  'Internal: put running jobs whose process is gone (or whose lease passed) back in the queue, or mark them dead when their attempts are spent. Does nothing on a Citus worker node.';
REVOKE ALL ON FUNCTION @extschema@._requeue_orphans(integer) FROM PUBLIC;

-- PL/pgSQL: Citus cannot plan a parameterised LANGUAGE sql function over its tables.
CREATE OR REPLACE FUNCTION @extschema@._prune(retention_days integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cutoff timestamptz := now() - make_interval(days => retention_days);
  on_citus constant boolean := @extschema@._citus_node_role() <> 'none';
  enforced text;
  n bigint;
  total bigint := 0;
BEGIN
  DELETE FROM @extschema@.sync_jobs
   WHERE state IN ('done', 'failed', 'dead', 'skipped') AND finished_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  DELETE FROM @extschema@.sync_logs WHERE started_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  -- On Citus, modifying a reference table that others reference (oauth_invites) after
  -- a parallel query in the same transaction (the worker's maintenance runs one) is
  -- refused, to keep foreign-key checks on one connection per node. No distributed
  -- table references the OAuth tables, so that check protects nothing here.
  IF on_citus THEN
    enforced := current_setting('citus.enforce_foreign_key_restrictions');
    PERFORM set_config('citus.enforce_foreign_key_restrictions', 'off', true);
  END IF;
  DELETE FROM @extschema@.oauth_states WHERE expires_at < now() - interval '1 day';
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  DELETE FROM @extschema@.oauth_invites WHERE expires_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF on_citus THEN
    PERFORM set_config('citus.enforce_foreign_key_restrictions', enforced, true);
  END IF;
  RETURN total + n;
END
$$;
COMMENT ON FUNCTION @extschema@._prune(integer) IS
  'Internal: delete finished jobs and sync logs older than the retention, OAuth states expired a day ago, and connect links expired longer than the retention.';
REVOKE ALL ON FUNCTION @extschema@._prune(integer) FROM PUBLIC;
