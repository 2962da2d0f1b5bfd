-- Generated from src/extension_sql/0.2--0.3/ by make: edit the fragments there.
\echo Use "ALTER EXTENSION tthub UPDATE" to load this file. \quit

-- src/extension_sql/0.2--0.3/00-version.sql
-- tthub 0.2 -> 0.3: hardening. Every function pins its search_path, store codes are
-- immutable, one sync per store, hostile bytes contained, connecting only by invite.

-- src/extension_sql/0.2--0.3/10-search-path.sql
------------------------------------------------------------------------------
-- Every function pins its search_path.
--
-- tthub's functions run as a superuser (SECURITY DEFINER, or called by the worker
-- and by DBAs). A function that resolves names through the caller's search_path
-- lets any role that can CREATE a schema or a function there put its own code in
-- place of a built-in: an operator `=(varchar, text)` or a `to_timestamp(numeric)`
-- matches more exactly than pg_catalog's and wins. Pinned to pg_catalog, pg_temp,
-- names resolve to built-ins only (pg_temp last: no function or operator is ever
-- looked up there), and tthub's own objects are always written @extschema@.x.
-- test/integration/search_path.sh plants such shadows and runs every path.
------------------------------------------------------------------------------
ALTER FUNCTION @extschema@.check_store_code(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.tthub_encrypt_token(text, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.tthub_decrypt_token(bytea, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._token_key_is_current(bytea) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._reencrypt_token(bytea, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.token_context(text, text, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.snapshot_today() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._wake_worker() SET search_path = pg_catalog, pg_temp;
-- tthub_sync_now runs the sync engine's statements in the caller's session.
ALTER FUNCTION @extschema@.tthub_sync_now(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._claim_jobs(integer, interval, integer) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._requeue_orphans(integer) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._random_state() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._form_encode(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._prune(integer) SET search_path = pg_catalog, pg_temp;

-- src/extension_sql/0.2--0.3/20-one-sync.sql
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

-- src/extension_sql/0.2--0.3/40-invites.sql
------------------------------------------------------------------------------
-- Connecting a store only by invitation. A store code is printed on receipts, so
-- knowing one must not be enough to attach a TikTok account to the store: an
-- admin issues a connect link carrying a random invite, and tthub_oauth_begin
-- takes that invite instead of a store code.
------------------------------------------------------------------------------

-- Looked up by the invite alone (the link carries nothing else): like oauth_states,
-- a reference table on Citus rather than one distributed by store_code.
CREATE TABLE @extschema@.oauth_invites (
  invite_hash bytea       PRIMARY KEY,
  store_code  varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  name        NOT NULL,
  expires_at  timestamptz NOT NULL,
  open_id     varchar(128),
  used_at     timestamptz,
  CONSTRAINT oauth_invites_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX oauth_invites_store_idx ON @extschema@.oauth_invites (store_code);
COMMENT ON TABLE @extschema@.oauth_invites IS
  'Connect links issued by tthub_connect_link: one store each, valid until expires_at, spent once an account is connected through it. Only SHA-256 hashes are stored. Delete a row to withdraw its link.';
COMMENT ON COLUMN @extschema@.oauth_invites.invite_hash IS 'SHA-256 of the invite in the link (the invite itself is never stored).';
COMMENT ON COLUMN @extschema@.oauth_invites.store_code IS 'Store the link connects an account to.';
COMMENT ON COLUMN @extschema@.oauth_invites.created_at IS 'When the link was issued.';
COMMENT ON COLUMN @extschema@.oauth_invites.created_by IS 'Session user who issued the link.';
COMMENT ON COLUMN @extschema@.oauth_invites.expires_at IS 'After this the link is refused (SQLSTATE TH107).';
COMMENT ON COLUMN @extschema@.oauth_invites.open_id IS 'TikTok account first connected through the link; no other account can use it afterwards.';
COMMENT ON COLUMN @extschema@.oauth_invites.used_at IS 'When an account was connected through the link with every scope; the link is spent (SQLSTATE TH108).';
-- Invites live for days: pg_dump keeps them, so a restore does not void links already sent.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.oauth_invites', '');
-- Admins see and withdraw links; the hash is of no use to them.
GRANT SELECT (store_code, created_at, created_by, expires_at, open_id, used_at), DELETE
  ON @extschema@.oauth_invites TO tthub_admin;

-- Every pending authorization now comes from an invite. States begun in 0.2 came
-- from a store code alone: they are dropped (they live 10 minutes anyway).
DELETE FROM @extschema@.oauth_states;
ALTER TABLE @extschema@.oauth_states
  ADD COLUMN invite_hash bytea NOT NULL REFERENCES @extschema@.oauth_invites (invite_hash) ON DELETE CASCADE;
COMMENT ON COLUMN @extschema@.oauth_states.invite_hash IS 'Invite the authorization began with; withdrawing the invite cancels it.';
CREATE INDEX oauth_states_invite_idx ON @extschema@.oauth_states (invite_hash);
-- Counting a store's pending authorizations (the cap in tthub_oauth_begin).
CREATE INDEX oauth_states_store_idx ON @extschema@.oauth_states (store_code, expires_at);

CREATE FUNCTION @extschema@.tthub_connect_link(store_code text, valid_for interval DEFAULT '7 days') RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  invite text := @extschema@._random_state();
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF valid_for IS NULL OR valid_for <= interval '0' OR valid_for > interval '90 days' THEN
    RAISE EXCEPTION 'valid_for must be positive and at most 90 days' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO @extschema@.oauth_invites (invite_hash, store_code, created_by, expires_at)
  VALUES (sha256(convert_to(invite, 'UTF8')), store_code, session_user, now() + valid_for);
  RETURN '/auth/login?invite=' || invite;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_connect_link(text, interval) IS
  'Issue a connect link for a store: returns "/auth/login?invite=<invite>" (256 random bits, stored only hashed) to append to the shim''s public URL and send to the store owner. Valid for valid_for (at most 90 days); spent once an account is connected through it.';
REVOKE ALL ON FUNCTION @extschema@.tthub_connect_link(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_connect_link(text, interval) TO tthub_admin;

-- A store code is no longer enough to begin.
DROP FUNCTION @extschema@.tthub_oauth_begin(text, text);

CREATE FUNCTION @extschema@.tthub_oauth_begin(invite text, redirect_uri text) RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  max_pending constant integer := 20;
  state text := @extschema@._random_state();
  client_key text := coalesce(current_setting('tthub.client_key', true), '');
  base text := coalesce(nullif(current_setting('tthub.authorize_url', true), ''), 'https://www.tiktok.com/v2/auth/authorize/');
  scopes text := coalesce(nullif(current_setting('tthub.oauth_scopes', true), ''), 'user.info.basic,user.info.stats,video.list');
  inv record;
  pending integer;
BEGIN
  -- The row lock makes concurrent begins through one link take turns, so the cap holds.
  SELECT i.invite_hash, i.store_code, i.expires_at <= now() AS expired, i.used_at IS NOT NULL AS used
    INTO inv
    FROM @extschema@.oauth_invites i
   WHERE i.invite_hash = sha256(convert_to(coalesce(invite, ''), 'UTF8'))
     AND length(invite) BETWEEN 1 AND 128
     FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'invalid invite' USING ERRCODE = 'TH106', HINT = 'Ask the store''s administrator for a new connect link.';
  END IF;
  IF inv.used THEN
    RAISE EXCEPTION 'invite already used' USING ERRCODE = 'TH108',
      DETAIL = 'An account was connected through this link.', HINT = 'Ask the store''s administrator for a new connect link.';
  END IF;
  IF inv.expired THEN
    RAISE EXCEPTION 'invite expired' USING ERRCODE = 'TH107', HINT = 'Ask the store''s administrator for a new connect link.';
  END IF;
  -- TikTok's rules for a web redirect URI: https, absolute, no query, no fragment,
  -- under 512 characters. Plain http only for loopback (development, tests).
  IF redirect_uri IS NULL OR length(redirect_uri) >= 512
     OR NOT (redirect_uri ~ '^https://[^\s?#]+$'
             OR redirect_uri ~ '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[^\s?#]*)?$') THEN
    RAISE EXCEPTION 'invalid redirect_uri'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'It must be an absolute https URL without query or fragment, under 512 characters, registered with the TikTok app.';
  END IF;
  IF client_key = '' THEN
    RAISE EXCEPTION 'tthub.client_key is not set' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- Whoever holds a link cannot fill the table: states long expired go, and a store
  -- has at most max_pending authorizations in flight (each lives 10 minutes).
  DELETE FROM @extschema@.oauth_states s
   WHERE s.store_code = inv.store_code AND s.expires_at < now() - interval '1 hour';
  SELECT count(*) INTO pending
    FROM @extschema@.oauth_states s
   WHERE s.store_code = inv.store_code AND s.expires_at > now() AND s.used_at IS NULL;
  IF pending >= max_pending THEN
    RAISE EXCEPTION 'too many pending authorizations for store "%"', inv.store_code USING ERRCODE = 'TH109',
      DETAIL = format('At most %s authorizations of a store may be in progress; each expires after 10 minutes.', max_pending),
      HINT = 'Try again in 10 minutes.';
  END IF;
  INSERT INTO @extschema@.oauth_states (state_hash, store_code, redirect_uri, expires_at, invite_hash)
  VALUES (sha256(convert_to(state, 'UTF8')), inv.store_code, redirect_uri, now() + interval '10 minutes', inv.invite_hash);
  -- Web apps send no PKCE parameters (not part of TikTok's documented web flow).
  RETURN base || CASE WHEN position('?' IN base) > 0 THEN '&' ELSE '?' END
         || 'client_key=' || @extschema@._form_encode(client_key)
         || '&response_type=code'
         || '&scope=' || @extschema@._form_encode(scopes)
         || '&redirect_uri=' || @extschema@._form_encode(redirect_uri)
         || '&state=' || state;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_oauth_begin(text, text) IS
  'Start connecting a TikTok account through a connect link (tthub_connect_link): returns the authorize URL with a fresh single-use state (10 minutes). Errors: TH106 invalid invite, TH107 invite expired, TH108 invite already used, TH109 too many pending authorizations for the store (20).';
REVOKE ALL ON FUNCTION @extschema@.tthub_oauth_begin(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_oauth_begin(text, text) TO tthub_oauth, tthub_admin;

COMMENT ON FUNCTION @extschema@.tthub_oauth_complete(text, text) IS
  'Finish connecting: checks the state, exchanges the code at TikTok, stores the tokens encrypted, spends the invite, enqueues a first sync. Errors: TH101 unknown state, TH102 expired, TH103 already used, TH104 TikTok refused, TH105 TikTok unavailable, TH108 the invite was used by another account.';

CREATE OR REPLACE FUNCTION @extschema@._prune(retention_days integer) RETURNS bigint
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH j AS (DELETE FROM @extschema@.sync_jobs
              WHERE state IN ('done', 'failed', 'dead', 'skipped')
                AND finished_at < now() - make_interval(days => retention_days) RETURNING 1),
       l AS (DELETE FROM @extschema@.sync_logs
              WHERE started_at < now() - make_interval(days => retention_days) RETURNING 1),
       s AS (DELETE FROM @extschema@.oauth_states WHERE expires_at < now() - interval '1 day' RETURNING 1),
       i AS (DELETE FROM @extschema@.oauth_invites
              WHERE expires_at < now() - make_interval(days => retention_days) RETURNING 1)
  SELECT (SELECT count(*) FROM j) + (SELECT count(*) FROM l) + (SELECT count(*) FROM s) + (SELECT count(*) FROM i)
$$;
COMMENT ON FUNCTION @extschema@._prune(integer) IS
  'Internal: delete finished jobs and sync logs older than the retention, OAuth states expired a day ago, and connect links expired longer than the retention.';
REVOKE ALL ON FUNCTION @extschema@._prune(integer) FROM PUBLIC;

-- src/extension_sql/0.2--0.3/60-dba.sql
------------------------------------------------------------------------------
-- For DBAs and BI tools.
--
--  * tthub_reporting: a schema holding what tthub_reader may read and nothing else.
--    Readers lose every privilege in the tthub schema, so a BI tool that lists
--    what its role can use no longer shows store_accounts, oauth_states or token
--    column names, and status values there are text (a JDBC client binding a
--    string parameter cannot compare it with an enum).
--  * Every view column has a comment, and none is a bare numeric (BI tools type a
--    column from its declared precision and scale).
--  * tthub.health tells the truth to every role (the worker's liveness comes from
--    shared memory, not pg_stat_activity, which hides other roles' backends) and
--    reports failed jobs, stale accounts, incomplete days and expiring tokens.
------------------------------------------------------------------------------

------------------------------------------------------------------------------
-- The sync worker, as shared memory knows it.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.worker_pid() RETURNS integer
  LANGUAGE c VOLATILE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_worker_pid';
COMMENT ON FUNCTION @extschema@.worker_pid() IS
  'Process id of the sync worker serving this database (tthub.database); NULL when none is running. Read from shared memory, so every role sees the truth.';
REVOKE ALL ON FUNCTION @extschema@.worker_pid() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.worker_pid() TO tthub_admin, tthub_reader;

------------------------------------------------------------------------------
-- Comments on the view columns that had none.
------------------------------------------------------------------------------
COMMENT ON COLUMN @extschema@.accounts.store_code IS 'Store the account belongs to.';
COMMENT ON COLUMN @extschema@.accounts.open_id IS 'TikTok''s id of the user within this app (stable account key).';
COMMENT ON COLUMN @extschema@.accounts.display_name IS 'Profile display name, refreshed at each sync.';
COMMENT ON COLUMN @extschema@.accounts.avatar_url IS 'Profile avatar URL, refreshed at each sync (TikTok CDN links expire).';
COMMENT ON COLUMN @extschema@.accounts.scope IS 'Comma-separated scopes the user granted.';
COMMENT ON COLUMN @extschema@.accounts.status IS 'CONNECTED (synced daily), NEED_RECONNECT (the owner must reconnect), ERROR (last sync failed) or DISABLED (disconnected).';
COMMENT ON COLUMN @extschema@.accounts.status_reason IS 'Why the account left CONNECTED (never contains a token).';
COMMENT ON COLUMN @extschema@.accounts.token_expires_at IS 'When the access token expires; the sync refreshes it on its own.';
COMMENT ON COLUMN @extschema@.accounts.refresh_token_expires_at IS 'When the refresh token expires; after it the owner must reconnect.';
COMMENT ON COLUMN @extschema@.accounts.last_sync_at IS 'When a sync of this account last succeeded.';
COMMENT ON COLUMN @extschema@.accounts.connected_at IS 'When the account was (re)connected.';
COMMENT ON COLUMN @extschema@.accounts.updated_at IS 'When the account''s row last changed.';

COMMENT ON COLUMN @extschema@.sync_progress.store_code IS 'Store being synced.';
COMMENT ON COLUMN @extschema@.sync_progress.job_id IS 'The running job.';
COMMENT ON COLUMN @extschema@.sync_progress.open_id IS 'Account being synced now.';
COMMENT ON COLUMN @extschema@.sync_progress.pages_fetched IS 'Pages of videos fetched by this attempt so far.';
COMMENT ON COLUMN @extschema@.sync_progress.videos_seen IS 'Videos written by this attempt so far.';
COMMENT ON COLUMN @extschema@.sync_progress.started_at IS 'When this attempt started.';
COMMENT ON COLUMN @extschema@.sync_progress.attempt IS 'Attempt number (1 for the first).';
COMMENT ON COLUMN @extschema@.sync_progress.lease_until IS 'The job is taken again after this if its worker stops renewing it.';
COMMENT ON COLUMN @extschema@.sync_progress.worker_pid IS 'Process running the job.';

COMMENT ON COLUMN @extschema@.job_queue.state IS 'Job state (see the type tthub.job_state).';
COMMENT ON COLUMN @extschema@.job_queue.jobs IS 'Jobs in that state (finished ones are kept tthub.log_retention days).';
COMMENT ON COLUMN @extschema@.job_queue.next_run_after IS 'For queued jobs: when the earliest may run.';

COMMENT ON COLUMN @extschema@.dead_jobs.store_code IS 'Store of the job.';
COMMENT ON COLUMN @extschema@.dead_jobs.job_id IS 'Job number (tthub_retry_job(job_id) puts it back).';
COMMENT ON COLUMN @extschema@.dead_jobs.job_type IS 'daily_sync, manual_sync or first_sync.';
COMMENT ON COLUMN @extschema@.dead_jobs.snapshot_date IS 'Snapshot day the job was to write.';
COMMENT ON COLUMN @extschema@.dead_jobs.attempts IS 'Attempts spent.';
COMMENT ON COLUMN @extschema@.dead_jobs.last_error IS 'Why the last attempt failed (never contains a token).';
COMMENT ON COLUMN @extschema@.dead_jobs.last_http_status IS 'HTTP status of the failing TikTok response, if any.';
COMMENT ON COLUMN @extschema@.dead_jobs.created_at IS 'When the job was enqueued.';
COMMENT ON COLUMN @extschema@.dead_jobs.finished_at IS 'When its retries ran out.';

------------------------------------------------------------------------------
-- Reporting views with typed numbers. CREATE OR REPLACE VIEW cannot change a
-- column's type, so they are dropped and created again (with their comments and
-- grants); only the types of the computed columns change. The scales are wide
-- enough for any value the counters' bigint can produce, so the casts never fail.
------------------------------------------------------------------------------
DROP VIEW @extschema@.account_daily, @extschema@.video_daily_delta, @extschema@.video_latest,
          @extschema@.store_summary;

CREATE VIEW @extschema@.account_daily AS
  SELECT store_code, open_id, snapshot_date, display_name,
         follower_count, following_count, likes_count, video_count,
         previous_snapshot_date,
         snapshot_date - previous_snapshot_date AS days_since_previous,
         follower_count - prev_followers AS follower_change,
         following_count - prev_following AS following_change,
         likes_count - prev_likes AS likes_change,
         video_count - prev_videos AS video_change,
         round((follower_count - prev_followers)::numeric / (snapshot_date - previous_snapshot_date), 2)::numeric(21, 2)
           AS follower_change_per_day
    FROM (SELECT u.*,
                 lag(snapshot_date) OVER w AS previous_snapshot_date,
                 lag(follower_count) OVER w AS prev_followers,
                 lag(following_count) OVER w AS prev_following,
                 lag(likes_count) OVER w AS prev_likes,
                 lag(video_count) OVER w AS prev_videos
            FROM @extschema@.user_daily u
          WINDOW w AS (PARTITION BY store_code, open_id ORDER BY snapshot_date)) d;
COMMENT ON VIEW @extschema@.account_daily IS
  'Each account''s counters per snapshot day, with the change since its previous snapshot. When days are missing, days_since_previous says so and follower_change_per_day spreads the change over them.';
COMMENT ON COLUMN @extschema@.account_daily.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.account_daily.open_id IS 'TikTok account.';
COMMENT ON COLUMN @extschema@.account_daily.snapshot_date IS 'Snapshot day.';
COMMENT ON COLUMN @extschema@.account_daily.display_name IS 'Display name on that day.';
COMMENT ON COLUMN @extschema@.account_daily.follower_count IS 'Followers.';
COMMENT ON COLUMN @extschema@.account_daily.following_count IS 'Accounts followed.';
COMMENT ON COLUMN @extschema@.account_daily.likes_count IS 'Likes received across all videos.';
COMMENT ON COLUMN @extschema@.account_daily.video_count IS 'Public videos.';
COMMENT ON COLUMN @extschema@.account_daily.previous_snapshot_date IS 'The account''s previous snapshot day (NULL for its first).';
COMMENT ON COLUMN @extschema@.account_daily.days_since_previous IS 'Days between the two snapshots: 1 for day-over-day, more across a gap.';
COMMENT ON COLUMN @extschema@.account_daily.follower_change IS 'Followers gained since the previous snapshot.';
COMMENT ON COLUMN @extschema@.account_daily.following_change IS 'Change in accounts followed since the previous snapshot.';
COMMENT ON COLUMN @extschema@.account_daily.likes_change IS 'Likes gained since the previous snapshot.';
COMMENT ON COLUMN @extschema@.account_daily.video_change IS 'Videos added since the previous snapshot.';
COMMENT ON COLUMN @extschema@.account_daily.follower_change_per_day IS 'follower_change / days_since_previous, 2 decimals.';

-- The previous snapshot is looked up per row through the primary key rather than with
-- lag(): a date filter cannot pass below a window function (bench/README.md).
CREATE VIEW @extschema@.video_daily_delta AS
  SELECT v.store_code, v.video_id, v.snapshot_date, v.open_id, v.title, v.create_time,
         v.view_count, v.like_count, v.comment_count, v.share_count,
         p.snapshot_date AS previous_snapshot_date,
         v.snapshot_date - p.snapshot_date AS days_since_previous,
         v.view_count - p.view_count AS views_change,
         v.like_count - p.like_count AS likes_change,
         v.comment_count - p.comment_count AS comments_change,
         v.share_count - p.share_count AS shares_change,
         round((v.view_count - p.view_count)::numeric / (v.snapshot_date - p.snapshot_date), 2)::numeric(21, 2)
           AS views_per_day
    FROM @extschema@.video_daily v
    LEFT JOIN LATERAL (
      SELECT q.snapshot_date, q.view_count, q.like_count, q.comment_count, q.share_count
        FROM @extschema@.video_daily q
       WHERE q.store_code = v.store_code AND q.video_id = v.video_id AND q.snapshot_date < v.snapshot_date
       ORDER BY q.snapshot_date DESC
       LIMIT 1) p ON true;
COMMENT ON VIEW @extschema@.video_daily_delta IS
  'Each video''s counters per snapshot day and their change since its previous snapshot. A gap of missing days is not a one-day change: days_since_previous says how many days the change covers, views_per_day spreads it.';
COMMENT ON COLUMN @extschema@.video_daily_delta.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.video_daily_delta.video_id IS 'TikTok video id.';
COMMENT ON COLUMN @extschema@.video_daily_delta.snapshot_date IS 'Snapshot day.';
COMMENT ON COLUMN @extschema@.video_daily_delta.open_id IS 'Account that posted the video.';
COMMENT ON COLUMN @extschema@.video_daily_delta.title IS 'Video title.';
COMMENT ON COLUMN @extschema@.video_daily_delta.create_time IS 'When the video was posted.';
COMMENT ON COLUMN @extschema@.video_daily_delta.view_count IS 'Views on that day.';
COMMENT ON COLUMN @extschema@.video_daily_delta.like_count IS 'Likes on that day.';
COMMENT ON COLUMN @extschema@.video_daily_delta.comment_count IS 'Comments on that day.';
COMMENT ON COLUMN @extschema@.video_daily_delta.share_count IS 'Shares on that day.';
COMMENT ON COLUMN @extschema@.video_daily_delta.previous_snapshot_date IS 'The video''s previous snapshot day (NULL for its first).';
COMMENT ON COLUMN @extschema@.video_daily_delta.days_since_previous IS 'Days the changes cover: 1 for day-over-day, more across a gap.';
COMMENT ON COLUMN @extschema@.video_daily_delta.views_change IS 'Views gained since the previous snapshot.';
COMMENT ON COLUMN @extschema@.video_daily_delta.likes_change IS 'Likes gained since the previous snapshot.';
COMMENT ON COLUMN @extschema@.video_daily_delta.comments_change IS 'Comments gained since the previous snapshot.';
COMMENT ON COLUMN @extschema@.video_daily_delta.shares_change IS 'Shares gained since the previous snapshot.';
COMMENT ON COLUMN @extschema@.video_daily_delta.views_per_day IS 'views_change / days_since_previous, 2 decimals.';

CREATE VIEW @extschema@.video_latest AS
  SELECT DISTINCT ON (store_code, video_id)
         store_code, video_id, snapshot_date, open_id, title, description, share_url, create_time, duration,
         view_count, like_count, comment_count, share_count,
         round((like_count + comment_count + share_count)::numeric / nullif(view_count, 0), 6)::numeric(26, 6)
           AS engagement_rate
    FROM @extschema@.video_daily
   ORDER BY store_code, video_id, snapshot_date DESC;
COMMENT ON VIEW @extschema@.video_latest IS 'The latest snapshot of every video, with its engagement rate.';
COMMENT ON COLUMN @extschema@.video_latest.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.video_latest.video_id IS 'TikTok video id.';
COMMENT ON COLUMN @extschema@.video_latest.snapshot_date IS 'Day of the latest snapshot (older than today when the video was not seen since: deleted or private).';
COMMENT ON COLUMN @extschema@.video_latest.open_id IS 'Account that posted the video.';
COMMENT ON COLUMN @extschema@.video_latest.title IS 'Video title.';
COMMENT ON COLUMN @extschema@.video_latest.description IS 'Video description.';
COMMENT ON COLUMN @extschema@.video_latest.share_url IS 'Shareable link.';
COMMENT ON COLUMN @extschema@.video_latest.create_time IS 'When the video was posted.';
COMMENT ON COLUMN @extschema@.video_latest.duration IS 'Length in seconds.';
COMMENT ON COLUMN @extschema@.video_latest.view_count IS 'Views.';
COMMENT ON COLUMN @extschema@.video_latest.like_count IS 'Likes.';
COMMENT ON COLUMN @extschema@.video_latest.comment_count IS 'Comments.';
COMMENT ON COLUMN @extschema@.video_latest.share_count IS 'Shares.';
COMMENT ON COLUMN @extschema@.video_latest.engagement_rate IS '(likes + comments + shares) / views, 6 decimals; NULL when views = 0.';

-- Sums of a store's accounts' counters are bigint: the counters are TikTok's
-- follower and like counts, far below bigint's range even added up.
CREATE VIEW @extschema@.store_summary AS
  SELECT s.store_code, s.store_name, s.disabled_at IS NULL AS active,
         coalesce(a.accounts, 0) AS accounts,
         coalesce(a.connected, 0) AS accounts_connected,
         coalesce(a.need_reconnect, 0) AS accounts_need_reconnect,
         coalesce(a.in_error, 0) AS accounts_error,
         g.latest_snapshot_date, g.followers::bigint AS followers, g.likes::bigint AS likes,
         g.videos::bigint AS videos,
         (g.followers - g.followers_7d)::bigint AS follower_growth_7d,
         (g.followers - g.followers_30d)::bigint AS follower_growth_30d,
         (g.likes - g.likes_7d)::bigint AS likes_growth_7d,
         (g.likes - g.likes_30d)::bigint AS likes_growth_30d,
         l.last_success AS last_successful_sync,
         coalesce(f.failures, 0) AS consecutive_failures
    FROM @extschema@.stores s
    LEFT JOIN LATERAL (
      SELECT count(*) AS accounts,
             count(*) FILTER (WHERE status = 'CONNECTED') AS connected,
             count(*) FILTER (WHERE status = 'NEED_RECONNECT') AS need_reconnect,
             count(*) FILTER (WHERE status = 'ERROR') AS in_error
        FROM @extschema@.store_accounts sa WHERE sa.store_code = s.store_code) a ON true
    LEFT JOIN LATERAL (
      -- Per account: the latest snapshot, and the latest on or before 7 and 30 days
      -- earlier (so a missing day does not empty the growth figure).
      SELECT max(cur.snapshot_date) AS latest_snapshot_date,
             sum(cur.follower_count) AS followers, sum(cur.likes_count) AS likes, sum(cur.video_count) AS videos,
             sum(w7.follower_count) AS followers_7d, sum(w30.follower_count) AS followers_30d,
             sum(w7.likes_count) AS likes_7d, sum(w30.likes_count) AS likes_30d
        FROM (SELECT DISTINCT ON (u.open_id) u.* FROM @extschema@.user_daily u
               WHERE u.store_code = s.store_code ORDER BY u.open_id, u.snapshot_date DESC) cur
        LEFT JOIN LATERAL (SELECT p.follower_count, p.likes_count FROM @extschema@.user_daily p
                            WHERE p.store_code = cur.store_code AND p.open_id = cur.open_id
                              AND p.snapshot_date <= cur.snapshot_date - 7
                            ORDER BY p.snapshot_date DESC LIMIT 1) w7 ON true
        LEFT JOIN LATERAL (SELECT p.follower_count, p.likes_count FROM @extschema@.user_daily p
                            WHERE p.store_code = cur.store_code AND p.open_id = cur.open_id
                              AND p.snapshot_date <= cur.snapshot_date - 30
                            ORDER BY p.snapshot_date DESC LIMIT 1) w30 ON true) g ON true
    LEFT JOIN LATERAL (
      SELECT max(completed_at) AS last_success FROM @extschema@.sync_logs sl
       WHERE sl.store_code = s.store_code AND sl.status = 'SUCCESS' AND sl.job_type NOT LIKE 'oauth%') l ON true
    LEFT JOIN LATERAL (
      SELECT count(*) AS failures FROM @extschema@.sync_logs sl
       WHERE sl.store_code = s.store_code AND sl.status = 'FAILED' AND sl.job_type NOT LIKE 'oauth%'
         AND sl.started_at > coalesce(l.last_success, '-infinity')) f ON true;
COMMENT ON VIEW @extschema@.store_summary IS 'One row per store: accounts by status, latest counts, 7- and 30-day growth, last successful sync, failures since.';
COMMENT ON COLUMN @extschema@.store_summary.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.store_summary.store_name IS 'Store name.';
COMMENT ON COLUMN @extschema@.store_summary.active IS 'False when the store is disabled.';
COMMENT ON COLUMN @extschema@.store_summary.accounts IS 'TikTok accounts connected to the store (any status).';
COMMENT ON COLUMN @extschema@.store_summary.accounts_connected IS 'Accounts in status CONNECTED.';
COMMENT ON COLUMN @extschema@.store_summary.accounts_need_reconnect IS 'Accounts whose owner must reconnect.';
COMMENT ON COLUMN @extschema@.store_summary.accounts_error IS 'Accounts whose last sync failed.';
COMMENT ON COLUMN @extschema@.store_summary.latest_snapshot_date IS 'Most recent snapshot day of any account.';
COMMENT ON COLUMN @extschema@.store_summary.followers IS 'Followers, summed over accounts (latest snapshot of each).';
COMMENT ON COLUMN @extschema@.store_summary.likes IS 'Likes received, summed over accounts.';
COMMENT ON COLUMN @extschema@.store_summary.videos IS 'Public videos, summed over accounts.';
COMMENT ON COLUMN @extschema@.store_summary.follower_growth_7d IS 'Followers now minus 7 days earlier (the latest snapshot on or before then); NULL without one.';
COMMENT ON COLUMN @extschema@.store_summary.follower_growth_30d IS 'Followers now minus 30 days earlier.';
COMMENT ON COLUMN @extschema@.store_summary.likes_growth_7d IS 'Likes now minus 7 days earlier.';
COMMENT ON COLUMN @extschema@.store_summary.likes_growth_30d IS 'Likes now minus 30 days earlier.';
COMMENT ON COLUMN @extschema@.store_summary.last_successful_sync IS 'When an account of the store last synced successfully.';
COMMENT ON COLUMN @extschema@.store_summary.consecutive_failures IS 'Failed sync attempts since the last success.';

GRANT SELECT ON @extschema@.account_daily, @extschema@.video_daily_delta, @extschema@.video_latest,
                @extschema@.store_summary TO tthub_admin;

------------------------------------------------------------------------------
-- Health: the same metrics, the worker from shared memory, and what a DBA is
-- paged for besides: failed jobs, accounts without a recent complete day, days
-- left incomplete, refresh tokens about to expire.
------------------------------------------------------------------------------
CREATE OR REPLACE VIEW @extschema@.health AS
  SELECT metric, value, help FROM (VALUES
    ('tthub_jobs_queued', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'queued')::float8, 'Sync jobs waiting to run.'),
    ('tthub_jobs_running', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'running')::float8, 'Sync jobs running.'),
    ('tthub_jobs_dead', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'dead')::float8, 'Jobs whose retries ran out (see tthub.dead_jobs).'),
    ('tthub_accounts_connected', (SELECT count(*) FROM @extschema@.store_accounts WHERE status = 'CONNECTED')::float8, 'Accounts synced daily.'),
    ('tthub_accounts_need_reconnect', (SELECT count(*) FROM @extschema@.store_accounts WHERE status = 'NEED_RECONNECT')::float8, 'Accounts whose owner must reconnect.'),
    ('tthub_accounts_error', (SELECT count(*) FROM @extschema@.store_accounts WHERE status = 'ERROR')::float8, 'Accounts whose last sync failed.'),
    ('tthub_last_daily_run_age_seconds',
     (SELECT extract(epoch FROM now() - max(finished_at)) FROM @extschema@.sync_jobs
       WHERE job_type = 'daily_sync' AND state = 'done')::float8,
     'Seconds since a daily sync job last finished (NULL: never).'),
    ('tthub_oldest_pending_job_age_seconds',
     coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM @extschema@.sync_jobs
                WHERE state IN ('queued', 'running'))::float8, 0),
     'Age of the oldest queued or running job (0: none).'),
    ('tthub_worker_running', (@extschema@.worker_pid() IS NOT NULL)::integer::float8,
     'tthub sync workers alive for this database (1 expected).'),
    ('tthub_jobs_failed', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'failed')::float8,
     'Jobs that ended failed: no account could be synced and retrying cannot help (kept tthub.log_retention days; tthub_retry_job puts one back).'),
    ('tthub_sync_attempts_failed_24h',
     (SELECT count(*) FROM @extschema@.sync_logs
       WHERE status = 'FAILED' AND started_at > now() - interval '24 hours')::float8,
     'Attempts logged FAILED in tthub.sync_logs during the last 24 hours.'),
    ('tthub_accounts_stale',
     (SELECT count(*) FROM @extschema@.store_accounts a
        JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
       WHERE a.status IN ('CONNECTED', 'ERROR') AND a.connected_at < now() - interval '1 day'
         AND NOT EXISTS (SELECT 1 FROM @extschema@.sync_ledger l
                          WHERE l.store_code = a.store_code AND l.open_id = a.open_id AND l.complete
                            AND l.snapshot_date >= @extschema@.snapshot_today() - 1))::float8,
     'Accounts to sync (CONNECTED or ERROR, store active, connected over a day ago) with no complete snapshot day since yesterday.'),
    ('tthub_incomplete_days_7d',
     (SELECT count(*) FROM @extschema@.sync_ledger l
       WHERE NOT l.complete AND l.snapshot_date >= @extschema@.snapshot_today() - 7
         AND l.snapshot_date < @extschema@.snapshot_today())::float8,
     'Account-days of the last 7 days (today excluded) whose latest sync stopped before the end of the video list (tthub.sync_ledger).'),
    ('tthub_refresh_tokens_expiring_7d',
     (SELECT count(*) FROM @extschema@.store_accounts a
        JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
       WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at < now() + interval '7 days')::float8,
     'Accounts to sync (CONNECTED or ERROR, store active) whose refresh token expires within 7 days or has expired: their owner must reconnect.')
  ) AS m(metric, value, help);
COMMENT ON VIEW @extschema@.health IS 'tthub''s health, one row per metric (Prometheus-style names), for monitoring. The same for every role that may read it.';

------------------------------------------------------------------------------
-- tthub_reporting: what readers read. Plain views over tthub (they run with the
-- extension owner's rights, so readers need no privilege in tthub), under the
-- same names and column names, with status values as text.
------------------------------------------------------------------------------
CREATE SCHEMA tthub_reporting;
COMMENT ON SCHEMA tthub_reporting IS
  'tthub''s data for tthub_reader (BI tools, analysts): snapshots, reporting views, stores, accounts, jobs, logs and health; never a token. Status columns are text.';
REVOKE ALL ON SCHEMA tthub_reporting FROM PUBLIC;
GRANT USAGE ON SCHEMA tthub_reporting TO tthub_reader, tthub_admin;

CREATE VIEW tthub_reporting.stores AS
  SELECT store_code, store_name, pic_name, pic_contact, created_at, updated_at, disabled_at
    FROM @extschema@.stores;
CREATE VIEW tthub_reporting.accounts AS
  SELECT store_code, open_id, display_name, avatar_url, scope, status::text AS status, status_reason,
         token_expires_at, refresh_token_expires_at, last_sync_at, connected_at, updated_at
    FROM @extschema@.accounts;
CREATE VIEW tthub_reporting.user_daily AS
  SELECT store_code, open_id, snapshot_date, display_name, avatar_url, follower_count, following_count,
         likes_count, video_count, created_at, updated_at
    FROM @extschema@.user_daily;
CREATE VIEW tthub_reporting.video_daily AS
  SELECT store_code, video_id, snapshot_date, open_id, title, description, cover_image_url, share_url,
         create_time, duration, view_count, like_count, comment_count, share_count, created_at, updated_at
    FROM @extschema@.video_daily;
CREATE VIEW tthub_reporting.sync_logs AS
  SELECT store_code, log_id, job_id, open_id, job_type, status::text AS status, message, records_processed,
         http_status, started_at, completed_at
    FROM @extschema@.sync_logs;
CREATE VIEW tthub_reporting.sync_jobs AS
  SELECT store_code, job_id, job_type, snapshot_date, state::text AS state, attempts, run_after, lease_until,
         worker_pid, current_open_id, pages_fetched, videos_seen, last_error, last_http_status, created_at,
         started_at, finished_at, updated_at
    FROM @extschema@.sync_jobs;
CREATE VIEW tthub_reporting.sync_ledger AS
  SELECT store_code, open_id, snapshot_date, job_id, pages_fetched, videos_seen, complete, started_at,
         finished_at, updated_at
    FROM @extschema@.sync_ledger;
CREATE VIEW tthub_reporting.sync_progress AS
  SELECT store_code, job_id, open_id, pages_fetched, videos_seen, started_at, attempt, lease_until, worker_pid
    FROM @extschema@.sync_progress;
CREATE VIEW tthub_reporting.job_queue AS
  SELECT state::text AS state, jobs, next_run_after FROM @extschema@.job_queue;
CREATE VIEW tthub_reporting.dead_jobs AS
  SELECT store_code, job_id, job_type, snapshot_date, attempts, last_error, last_http_status, created_at,
         finished_at
    FROM @extschema@.dead_jobs;
CREATE VIEW tthub_reporting.account_daily AS
  SELECT store_code, open_id, snapshot_date, display_name, follower_count, following_count, likes_count,
         video_count, previous_snapshot_date, days_since_previous, follower_change, following_change,
         likes_change, video_change, follower_change_per_day
    FROM @extschema@.account_daily;
CREATE VIEW tthub_reporting.video_daily_delta AS
  SELECT store_code, video_id, snapshot_date, open_id, title, create_time, view_count, like_count,
         comment_count, share_count, previous_snapshot_date, days_since_previous, views_change, likes_change,
         comments_change, shares_change, views_per_day
    FROM @extschema@.video_daily_delta;
CREATE VIEW tthub_reporting.video_latest AS
  SELECT store_code, video_id, snapshot_date, open_id, title, description, share_url, create_time, duration,
         view_count, like_count, comment_count, share_count, engagement_rate
    FROM @extschema@.video_latest;
CREATE VIEW tthub_reporting.store_summary AS
  SELECT store_code, store_name, active, accounts, accounts_connected, accounts_need_reconnect, accounts_error,
         latest_snapshot_date, followers, likes, videos, follower_growth_7d, follower_growth_30d,
         likes_growth_7d, likes_growth_30d, last_successful_sync, consecutive_failures
    FROM @extschema@.store_summary;
CREATE VIEW tthub_reporting.health AS
  SELECT metric, value, help FROM @extschema@.health;

CREATE FUNCTION tthub_reporting.snapshot_today() RETURNS date
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
  RETURN @extschema@.snapshot_today();
COMMENT ON FUNCTION tthub_reporting.snapshot_today() IS
  'Today in tthub.snapshot_timezone: the snapshot day a sync enqueued now writes.';
REVOKE ALL ON FUNCTION tthub_reporting.snapshot_today() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tthub_reporting.snapshot_today() TO tthub_reader, tthub_admin;

-- Each reporting view and column says what its tthub namesake says: one text to
-- keep right. Views whose column lacks a comment there are caught by
-- test/pgtap/schema.sql.
DO $comments$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT v.relname, obj_description(src.oid, 'pg_class') AS comment
      FROM pg_catalog.pg_class v
      JOIN pg_catalog.pg_class src ON src.relname = v.relname AND src.relnamespace = '@extschema@'::regnamespace
     WHERE v.relnamespace = 'tthub_reporting'::regnamespace AND v.relkind = 'v'
  LOOP
    EXECUTE format('COMMENT ON VIEW tthub_reporting.%I IS %L', r.relname, r.comment);
  END LOOP;
  FOR r IN
    SELECT v.relname, a.attname, col_description(src.oid, sa.attnum) AS comment
      FROM pg_catalog.pg_class v
      JOIN pg_catalog.pg_attribute a ON a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_catalog.pg_class src ON src.relname = v.relname AND src.relnamespace = '@extschema@'::regnamespace
      JOIN pg_catalog.pg_attribute sa ON sa.attrelid = src.oid AND sa.attname = a.attname AND NOT sa.attisdropped
     WHERE v.relnamespace = 'tthub_reporting'::regnamespace AND v.relkind = 'v'
  LOOP
    EXECUTE format('COMMENT ON COLUMN tthub_reporting.%I.%I IS %L', r.relname, r.attname, r.comment);
  END LOOP;
END
$comments$;

GRANT SELECT ON ALL TABLES IN SCHEMA tthub_reporting TO tthub_reader, tthub_admin;

------------------------------------------------------------------------------
-- Readers keep nothing in tthub: no schema usage (tools that list what a role can
-- use skip it), no table or column grant.
------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM tthub_reader;
REVOKE ALL ON SCHEMA @extschema@ FROM tthub_reader;

-- src/extension_sql/0.2--0.3/70-token-logging.sql
------------------------------------------------------------------------------
-- Tokens, invites and codes passed as arguments stay out of the server log.
--
-- With log_min_error_statement at its default (error), a failing statement is logged
-- in full, literals included. The error is written while the failing function's
-- settings are still in force, so the SECURITY DEFINER functions that take a
-- plaintext token, an invite or a one-time code raise that threshold for their own
-- call. (After 40-invites.sql, which re-creates tthub_oauth_begin.) Applications should still
-- pass tokens as bind parameters (README: "Security"): log_statement =
-- 'all' logs every statement before it runs.
------------------------------------------------------------------------------
ALTER FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text)
  SET log_min_error_statement = panic;
ALTER FUNCTION @extschema@.tthub_oauth_begin(text, text) SET log_min_error_statement = panic;
ALTER FUNCTION @extschema@.tthub_oauth_complete(text, text) SET log_min_error_statement = panic;
