------------------------------------------------------------------------------
-- One sync per store, really.
--
-- TikTok rotates the refresh token at every refresh, so two syncs of one store at
-- once send the same refresh token twice and the second one puts the account in
-- NEED_RECONNECT. The store lock (src/ext/sync/store_lock.cpp) keeps syncs apart; the
-- claim below never hands out what would only find the lock taken, and a job that
-- does find it taken waits in the queue instead of being lost.
------------------------------------------------------------------------------

-- At most one job per store, and none of a store that has a running job, so that
-- the worker never runs two jobs of one store side by side. Rows are locked one by
-- one with the store_code equality (FOR UPDATE SKIP LOCKED: a job tthub_sync_now
-- holds is passed over, not waited for).
CREATE OR REPLACE FUNCTION @extschema@._claim_jobs(max_jobs integer, lease interval, pid integer)
  RETURNS SETOF @extschema@.sync_jobs
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
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
      FROM @extschema@.sync_jobs q
     WHERE q.state = 'queued' AND q.run_after <= now()
       AND NOT EXISTS (SELECT 1 FROM @extschema@.sync_jobs r
                        WHERE r.store_code = q.store_code AND r.state = 'running')
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
  'Internal: lease up to max_jobs due jobs to a worker, at most one per store and none of a store that has a running job.';
REVOKE ALL ON FUNCTION @extschema@._claim_jobs(integer, interval, integer) FROM PUBLIC;

-- Running jobs whose process is gone go back to the queue (or die when their
-- attempts are spent): the lease passed, or no backend with that pid started before
-- the job did (a pid the system gave to a newer backend does not keep a job alive).
CREATE OR REPLACE FUNCTION @extschema@._requeue_orphans(max_attempts integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  requeued integer;
BEGIN
  WITH orphans AS (
    UPDATE @extschema@.sync_jobs j
       SET state = CASE WHEN j.attempts >= max_attempts THEN 'dead'::@extschema@.job_state
                        ELSE 'queued'::@extschema@.job_state END,
           finished_at = now() + CASE WHEN j.attempts >= max_attempts THEN interval '0' END,
           last_error = 'the worker running this job stopped',
           lease_until = NULL, worker_pid = NULL, current_open_id = NULL, run_after = now(), updated_at = now()
     WHERE j.state = 'running'
       AND (j.lease_until < now()
            OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                            WHERE a.pid = j.worker_pid AND a.backend_start <= j.started_at))
    RETURNING 1)
  SELECT count(*)::integer INTO requeued FROM orphans;
  RETURN requeued;
END
$$;
COMMENT ON FUNCTION @extschema@._requeue_orphans(integer) IS
  'Internal: put running jobs whose process is gone (or whose lease passed) back in the queue, or mark them dead when their attempts are spent.';
REVOKE ALL ON FUNCTION @extschema@._requeue_orphans(integer) FROM PUBLIC;

COMMENT ON TYPE @extschema@.job_state IS
  'queued: waiting for run_after (also a job whose store was busy with another sync: it runs after it). running: leased by a worker. done: every account synced or finally failed (see sync_logs). failed: no account could be synced and retrying cannot help. dead: retries exhausted. skipped: historical, set by tthub before 0.3 when the store was busy; nothing sets it any more.';
COMMENT ON TYPE @extschema@.sync_status IS
  'Outcome of one sync attempt. SKIPPED: another sync of the same store was running; the job went back to the queue to run after it (or tthub_sync_now returned busy).';
COMMENT ON FUNCTION @extschema@.tthub_sync_now(text) IS
  'Sync the store in this session and report a summary; status busy (nothing synced, queued jobs stay queued) when another sync of the store is running. Holds the store until the transaction ends. The one documented place where a transaction spans TikTok calls: use it for checks and tests, the worker for production.';

------------------------------------------------------------------------------
-- store_code names a store forever: it is in the encryption context (AAD) of the
-- store's tokens and in every key of its snapshots. Renaming it would make every
-- token undecryptable, so UPDATE refuses it and no foreign key cascades it (Citus
-- refuses ON UPDATE CASCADE on distributed tables too).
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@._refuse_store_code_change() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RAISE EXCEPTION 'the code of store "%" cannot be changed', OLD.store_code
    USING ERRCODE = 'TH002',
          DETAIL = 'A store code is permanent: it is part of the encryption context of the store''s tokens and of the key of every snapshot.',
          HINT = 'Change the store''s name with tthub.tthub_update_store(); a different code is a new store (tthub.tthub_add_store).';
END
$$;
COMMENT ON FUNCTION @extschema@._refuse_store_code_change() IS
  'Internal trigger function: refuses an UPDATE that changes stores.store_code (SQLSTATE TH002).';
REVOKE ALL ON FUNCTION @extschema@._refuse_store_code_change() FROM PUBLIC;

CREATE TRIGGER stores_store_code_immutable
  BEFORE UPDATE OF store_code ON @extschema@.stores
  FOR EACH ROW WHEN (OLD.store_code IS DISTINCT FROM NEW.store_code)
  EXECUTE FUNCTION @extschema@._refuse_store_code_change();
COMMENT ON TRIGGER stores_store_code_immutable ON @extschema@.stores IS
  'A store code never changes (SQLSTATE TH002): the store''s tokens are encrypted under it.';
COMMENT ON COLUMN @extschema@.stores.store_code IS
  'Permanent store identifier: 1-50 of a-z, 0-9, _ and -; it cannot be changed (the tokens are encrypted under it). The distribution key on Citus.';

-- The same foreign keys without ON UPDATE CASCADE (ON DELETE as before).
ALTER TABLE @extschema@.store_accounts
  DROP CONSTRAINT store_accounts_store_code_fkey,
  ADD CONSTRAINT store_accounts_store_code_fkey FOREIGN KEY (store_code)
      REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE;
ALTER TABLE @extschema@.user_daily
  DROP CONSTRAINT user_daily_store_code_fkey,
  ADD CONSTRAINT user_daily_store_code_fkey FOREIGN KEY (store_code)
      REFERENCES @extschema@.stores (store_code);
ALTER TABLE @extschema@.video_daily
  DROP CONSTRAINT video_daily_store_code_fkey,
  ADD CONSTRAINT video_daily_store_code_fkey FOREIGN KEY (store_code)
      REFERENCES @extschema@.stores (store_code);
ALTER TABLE @extschema@.sync_jobs
  DROP CONSTRAINT sync_jobs_store_code_fkey,
  ADD CONSTRAINT sync_jobs_store_code_fkey FOREIGN KEY (store_code)
      REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE;
ALTER TABLE @extschema@.sync_ledger
  DROP CONSTRAINT sync_ledger_store_code_fkey,
  ADD CONSTRAINT sync_ledger_store_code_fkey FOREIGN KEY (store_code)
      REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE;
ALTER TABLE @extschema@.oauth_states
  DROP CONSTRAINT oauth_states_store_code_fkey,
  ADD CONSTRAINT oauth_states_store_code_fkey FOREIGN KEY (store_code)
      REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE;
