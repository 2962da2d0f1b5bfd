-- Generated from src/extension_sql/0.3--0.4/ by make: edit the fragments there.
\echo Use "ALTER EXTENSION tthub UPDATE" to load this file. \quit

-- src/extension_sql/0.3--0.4/00-version.sql
-- tthub 0.3 -> 0.4: syncs that finish and fill TikTok's budget, alerts and metrics, and
-- Citus. Citus replays ALTER EXTENSION ... UPDATE on every worker node, so each
-- statement here is idempotent (IF NOT EXISTS, OR REPLACE, guarded DO blocks).

-- src/extension_sql/0.3--0.4/70-citus-node-role.sql
------------------------------------------------------------------------------
-- Citus: where am I? On a Citus cluster every tthub write, sync, claim, store lock
-- and token operation happens on the coordinator: advisory locks and process ids
-- are node-local, and worker nodes hold no token key (README: Running on Citus).
-- The C++ side asks the same question in src/ext/citus/node_role.cpp.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._citus_node_role() RETURNS text
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  grp integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    RETURN 'none';
  END IF;
  -- Dynamic: pg_dist_local_group exists only where Citus is installed.
  EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO grp;
  RETURN CASE WHEN grp = 0 THEN 'coordinator' ELSE 'worker' END;
END
$$;
COMMENT ON FUNCTION @extschema@._citus_node_role() IS
  'Internal: none (no Citus in this database), coordinator, or worker (a Citus worker node, where tthub only stores shards).';

CREATE OR REPLACE FUNCTION @extschema@._require_coordinator(what text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF @extschema@._citus_node_role() = 'worker' THEN
    RAISE EXCEPTION '% must run on the Citus coordinator, not on a worker node', what
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Syncs, claims, store locks and tokens are the coordinator''s: its locks and processes are not visible from other nodes, and worker nodes hold no token key.',
            HINT = 'Connect to the coordinator and run it there.';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_coordinator(text) IS
  'Internal: raises 55000 when called on a Citus worker node (what names the refused operation).';

-- src/extension_sql/0.3--0.4/72-citus-queue.sql
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
  requeued integer;
BEGIN
  IF @extschema@._citus_node_role() = 'worker' THEN
    RETURN 0;
  END IF;
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

-- src/extension_sql/0.3--0.4/74-citus-stores.sql
------------------------------------------------------------------------------
-- Citus: disabling a store without now() inside COALESCE (Citus refuses it in an
-- UPDATE of its tables). The first disable sets disabled_at; a repeated one only
-- touches updated_at, as before.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_disable_store(store_code text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s SET disabled_at = now(), updated_at = now()
   WHERE s.store_code = tthub_disable_store.store_code AND s.disabled_at IS NULL;
  IF NOT FOUND THEN
    UPDATE @extschema@.stores s SET updated_at = now() WHERE s.store_code = tthub_disable_store.store_code;
  END IF;
  -- Jobs not started yet are dropped; a running one finishes.
  DELETE FROM @extschema@.sync_jobs j WHERE j.store_code = tthub_disable_store.store_code AND j.state = 'queued';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_disable_store(text) IS 'Stop syncing a store (queued jobs are dropped); its accounts and snapshots stay.';
REVOKE ALL ON FUNCTION @extschema@.tthub_disable_store(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_disable_store(text) TO tthub_admin;

-- src/extension_sql/0.3--0.4/76-citus-token-rotation.sql
------------------------------------------------------------------------------
-- Citus: key rotation on the coordinator, row by row. Crypto inside a query over a
-- distributed table would run on the worker nodes, which hold no key (0.3's single
-- UPDATE silently took every token for current there, or failed). Here every
-- envelope is read into a variable, re-encrypted on the coordinator and written back
-- with a one-row UPDATE. The table lock keeps a concurrent token refresh from
-- writing a token this transaction then overwrites.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_rotate_token_key() RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  access_enc bytea;
  refresh_enc bytea;
  rewritten bigint := 0;
BEGIN
  PERFORM @extschema@._require_coordinator('tthub_rotate_token_key');
  LOCK TABLE @extschema@.store_accounts IN EXCLUSIVE MODE;
  FOR r IN
    SELECT a.store_code, a.open_id, a.access_token_enc, a.refresh_token_enc
      FROM @extschema@.store_accounts a
     WHERE a.access_token_enc IS NOT NULL OR a.refresh_token_enc IS NOT NULL
     ORDER BY a.store_code, a.open_id
  LOOP
    access_enc := r.access_token_enc;
    refresh_enc := r.refresh_token_enc;
    IF access_enc IS NOT NULL AND NOT @extschema@._token_key_is_current(access_enc) THEN
      access_enc := @extschema@._reencrypt_token(access_enc,
                      @extschema@.token_context(r.store_code, r.open_id, 'access_token'));
      rewritten := rewritten + 1;
    END IF;
    IF refresh_enc IS NOT NULL AND NOT @extschema@._token_key_is_current(refresh_enc) THEN
      refresh_enc := @extschema@._reencrypt_token(refresh_enc,
                       @extschema@.token_context(r.store_code, r.open_id, 'refresh_token'));
      rewritten := rewritten + 1;
    END IF;
    IF access_enc IS DISTINCT FROM r.access_token_enc OR refresh_enc IS DISTINCT FROM r.refresh_token_enc THEN
      UPDATE @extschema@.store_accounts a
         SET access_token_enc = access_enc, refresh_token_enc = refresh_enc
       WHERE a.store_code = r.store_code AND a.open_id = r.open_id;
    END IF;
  END LOOP;
  RETURN rewritten;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.tthub_rotate_token_key() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.tthub_rotate_token_key() IS
  'Re-encrypts every stored token with the current key (in one transaction, on the coordinator); returns how many tokens were rewritten. Superusers only.';

-- src/extension_sql/0.3--0.4/78-citus-monitoring.sql
------------------------------------------------------------------------------
-- Citus: reporting and monitoring that work distributed, and the same on one node.
------------------------------------------------------------------------------

-- Account rows without their token columns, read with the extension owner's rights.
-- Citus checks the privileges of whoever queries a view on the shards themselves
-- (citusdata/citus#1683), and column privileges (how roles may read store_accounts
-- without its tokens) never reach the shards: a reader's or an admin's query of
-- accounts, store_summary or health would fail there. Through this function the
-- shards are read by the owner; accounts are few (one row per TikTok account).
CREATE OR REPLACE FUNCTION @extschema@._accounts_without_tokens()
  RETURNS TABLE (store_code varchar(50), open_id varchar(128), display_name text, avatar_url text, scope text,
                 status @extschema@.account_status, status_reason text, token_expires_at timestamptz,
                 refresh_token_expires_at timestamptz, last_sync_at timestamptz, connected_at timestamptz,
                 updated_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.store_code, a.open_id, a.display_name, a.avatar_url, a.scope, a.status, a.status_reason,
         a.token_expires_at, a.refresh_token_expires_at, a.last_sync_at, a.connected_at, a.updated_at
    FROM @extschema@.store_accounts a
$$;
COMMENT ON FUNCTION @extschema@._accounts_without_tokens() IS
  'Internal: every account row without its token columns, read with the extension owner''s rights (what tthub.accounts shows).';
REVOKE ALL ON FUNCTION @extschema@._accounts_without_tokens() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._accounts_without_tokens() TO tthub_admin, tthub_reader;

CREATE OR REPLACE VIEW @extschema@.accounts AS
  SELECT store_code::varchar(50) AS store_code, open_id::varchar(128) AS open_id, display_name, avatar_url, scope, status, status_reason,
         token_expires_at, refresh_token_expires_at, last_sync_at, connected_at, updated_at
    FROM @extschema@._accounts_without_tokens();
COMMENT ON VIEW @extschema@.accounts IS 'Connected TikTok accounts without their token columns.';

-- store_summary without LATERAL from the stores (a reference table on Citus) into
-- the distributed tables, which Citus refuses ("complex joins"): stores LEFT JOIN
-- three per-store aggregates grouped by store_code. The per-account lookups stay
-- inside the user_daily aggregate, correlated on store_code, so they run on the
-- shards. Same columns, types and figures as before.
CREATE OR REPLACE VIEW @extschema@.store_summary AS
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
         coalesce(l.failures, 0) AS consecutive_failures
    FROM @extschema@.stores s
    LEFT JOIN (
      SELECT sa.store_code,
             count(*) AS accounts,
             count(*) FILTER (WHERE sa.status = 'CONNECTED') AS connected,
             count(*) FILTER (WHERE sa.status = 'NEED_RECONNECT') AS need_reconnect,
             count(*) FILTER (WHERE sa.status = 'ERROR') AS in_error
        FROM @extschema@.accounts sa
       GROUP BY sa.store_code) a ON a.store_code = s.store_code
    LEFT JOIN (
      -- Per account: the latest snapshot, and the latest on or before 7 and 30 days
      -- earlier (so a missing day does not empty the growth figure).
      SELECT cur.store_code, max(cur.snapshot_date) AS latest_snapshot_date,
             sum(cur.follower_count) AS followers, sum(cur.likes_count) AS likes, sum(cur.video_count) AS videos,
             sum(w7.follower_count) AS followers_7d, sum(w30.follower_count) AS followers_30d,
             sum(w7.likes_count) AS likes_7d, sum(w30.likes_count) AS likes_30d
        FROM (SELECT DISTINCT ON (u.store_code, u.open_id) u.*
                FROM @extschema@.user_daily u
               ORDER BY u.store_code, u.open_id, u.snapshot_date DESC) cur
        LEFT JOIN LATERAL (SELECT p.follower_count, p.likes_count FROM @extschema@.user_daily p
                            WHERE p.store_code = cur.store_code AND p.open_id = cur.open_id
                              AND p.snapshot_date <= cur.snapshot_date - 7
                            ORDER BY p.snapshot_date DESC LIMIT 1) w7 ON true
        LEFT JOIN LATERAL (SELECT p.follower_count, p.likes_count FROM @extschema@.user_daily p
                            WHERE p.store_code = cur.store_code AND p.open_id = cur.open_id
                              AND p.snapshot_date <= cur.snapshot_date - 30
                            ORDER BY p.snapshot_date DESC LIMIT 1) w30 ON true
       GROUP BY cur.store_code) g ON g.store_code = s.store_code
    LEFT JOIN (
      -- The last success, and the failed attempts since it.
      SELECT x.store_code, max(x.last_success) AS last_success,
             count(*) FILTER (WHERE x.status = 'FAILED'
                                AND x.started_at > coalesce(x.last_success, '-infinity')) AS failures
        FROM (SELECT sl.store_code, sl.status, sl.started_at,
                     max(sl.completed_at) FILTER (WHERE sl.status = 'SUCCESS')
                       OVER (PARTITION BY sl.store_code) AS last_success
                FROM @extschema@.sync_logs sl
               WHERE sl.job_type NOT LIKE 'oauth%') x
       GROUP BY x.store_code) l ON l.store_code = s.store_code;
COMMENT ON VIEW @extschema@.store_summary IS 'One row per store: accounts by status, latest counts, 7- and 30-day growth, last successful sync, failures since.';

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
                WHERE l.complete AND l.snapshot_date >= @extschema@.snapshot_today() - 1))::float8,
     'Accounts to sync (CONNECTED or ERROR, store active, connected over a day ago) with no complete snapshot day since yesterday.'),
    ('tthub_incomplete_days_7d',
     (SELECT count(*) FROM @extschema@.sync_ledger l
       WHERE NOT l.complete AND l.snapshot_date >= @extschema@.snapshot_today() - 7
         AND l.snapshot_date < @extschema@.snapshot_today())::float8,
     'Account-days of the last 7 days (today excluded) whose latest sync stopped before the end of the video list (tthub.sync_ledger).'),
    ('tthub_refresh_tokens_expiring_7d',
     (SELECT count(*) FROM @extschema@.accounts a
        JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
       WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at < now() + interval '7 days')::float8,
     'Accounts to sync (CONNECTED or ERROR, store active) whose refresh token expires within 7 days or has expired: their owner must reconnect.')
  ) AS m(metric, value, help);
COMMENT ON VIEW @extschema@.health IS 'tthub''s health, one row per metric (Prometheus-style names), for monitoring. The same for every role that may read it.';

-- Table sizes. Citus's citus_tables and citus_shards list no table that belongs to an
-- extension, so on Citus the sizes come from pg_dist_shard and citus_shard_sizes()
-- (every placement, every node); on one node from pg_total_relation_size().
CREATE OR REPLACE FUNCTION @extschema@.tthub_table_sizes()
  RETURNS TABLE (table_name text, citus_table_type text, shards integer, nodes integer, total_bytes bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF @extschema@._citus_node_role() = 'none' THEN
    RETURN QUERY
      SELECT c.relname::text, 'local'::text, 0, 1, pg_catalog.pg_total_relation_size(c.oid)
        FROM pg_catalog.pg_class c
       WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
       ORDER BY 1;
    RETURN;
  END IF;
  RETURN QUERY EXECUTE $q$
    WITH tables AS (
      SELECT c.oid, c.relname::text AS relname,
             CASE p.partmethod WHEN 'h' THEN 'distributed' WHEN 'n' THEN 'reference' ELSE 'local' END AS kind
        FROM pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = c.oid
       WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'),
    placements AS (
      SELECT s.logicalrelid AS oid, count(DISTINCT s.shardid)::integer AS shards,
             count(DISTINCT pl.groupid)::integer AS nodes
        FROM pg_catalog.pg_dist_shard s
        JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = s.shardid
       GROUP BY s.logicalrelid),
    sizes AS (  -- one row per placement: a reference table counts once per node
      SELECT s.logicalrelid AS oid, sum(z.size)::bigint AS bytes
        FROM pg_catalog.pg_dist_shard s
        JOIN pg_catalog.citus_shard_sizes() z ON z.shard_id = s.shardid
       GROUP BY s.logicalrelid)
    SELECT t.relname, t.kind, coalesce(pl.shards, 0), coalesce(pl.nodes, 1),
           coalesce(z.bytes, pg_catalog.pg_total_relation_size(t.oid))
      FROM tables t LEFT JOIN placements pl ON pl.oid = t.oid LEFT JOIN sizes z ON z.oid = t.oid
     ORDER BY 1 $q$;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_table_sizes() IS
  'Size of every tthub table: on Citus, summed over all shard placements on all nodes (Citus''s citus_tables hides extension tables), with its Citus table type, shards and nodes; on one node its local size.';
REVOKE ALL ON FUNCTION @extschema@.tthub_table_sizes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_table_sizes() TO tthub_admin;

-- src/extension_sql/0.3--0.4/80-citus-distribute.sql
------------------------------------------------------------------------------
-- Citus: tthub_distribute() turns an install on a Citus coordinator into a
-- distributed one, in one transaction. Tables looked up without store_code
-- (stores, the OAuth tables: every table whose primary key lacks store_code) become
-- reference tables, copied to every node; every table keyed by store_code is
-- distributed by store_code and colocated with store_accounts, so that one store's
-- rows of every table live in one shard group and a single-store query goes to one
-- node. Idempotent: a table an update added later is distributed by the next call.
-- Distribution of extension tables cannot be undone (Citus refuses
-- undistribute_table on them); tthub_uninstall_prepare() removes the shards.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_distribute(shard_count integer DEFAULT 32) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ext_oid oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'tthub');
  my_version text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'tthub');
  anchor constant regclass := '@extschema@.store_accounts'::regclass;
  bad text;
  r record;
  progress boolean;
  new_reference text[] := '{}';
  new_distributed text[] := '{}';
  citus_tables integer;
  placement_summary text;
  quiet text;
BEGIN
  ---------------------------------------------------------------- preconditions
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    RAISE EXCEPTION 'Citus is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'On every node put citus first in shared_preload_libraries and CREATE EXTENSION citus; add the workers with citus_add_node() on the coordinator; then call tthub_distribute() there (README: Running on Citus).';
  END IF;
  IF @extschema@._citus_node_role() <> 'coordinator' THEN
    RAISE EXCEPTION 'tthub_distribute() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Connect to the coordinator and call it there.';
  END IF;
  IF shard_count IS NULL OR shard_count < 1 OR shard_count > 64000 THEN
    RAISE EXCEPTION 'shard_count must be between 1 and 64000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n
                  WHERE n.isactive AND n.noderole = 'primary' AND (n.groupid <> 0 OR n.shouldhaveshards)) THEN
    RAISE EXCEPTION 'this Citus cluster has no node to hold shards'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add the workers with SELECT citus_add_node(host, port); for single-node Citus, SELECT citus_set_coordinator_host(host, port) and SELECT citus_set_node_property(host, port, ''shouldhaveshards'', true).';
  END IF;
  -- Citus ran CREATE EXTENSION tthub (and every update) on the workers; a worker that
  -- missed one has other tables than ours.
  SELECT string_agg(format('%s:%s has %s', w.nodename, w.nodeport,
                           CASE WHEN w.success THEN 'tthub ' || w.result ELSE 'an error: ' || w.result END), '; ')
    INTO bad
    FROM pg_catalog.run_command_on_workers(
           $q$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'tthub'), 'not installed')$q$) w
   WHERE NOT w.success OR w.result IS DISTINCT FROM my_version;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'every worker node needs tthub %, as the coordinator has', my_version
      USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = bad,
            HINT = 'Install the same tthub package on every node, then ALTER EXTENSION tthub UPDATE on the coordinator (Citus runs it on the workers).';
  END IF;
  -- Workers preload tthub (its settings exist only then) with the sync worker off.
  SELECT string_agg(format('%s:%s %s', w.nodename, w.nodeport,
                           CASE WHEN NOT w.success THEN 'does not preload tthub'
                                WHEN split_part(w.result, '/', 1) <> 'off' THEN 'has tthub.worker_enabled on'
                                ELSE 'runs a tthub sync worker' END), '; ')
    INTO bad
    FROM pg_catalog.run_command_on_workers(
           $q$SELECT current_setting('tthub.worker_enabled') || '/' ||
                     (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'tthub sync worker')$q$) w
   WHERE NOT w.success OR w.result <> 'off/0';
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'every worker node must preload tthub with its sync worker off'
      USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = bad,
            HINT = 'On each worker node set shared_preload_libraries = ''citus,tthub'' and tthub.worker_enabled = off, then restart it. Only the coordinator syncs.';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object d JOIN pg_catalog.pg_extension e ON e.oid = d.objid
              WHERE d.classid = 'pg_catalog.pg_extension'::regclass AND e.extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron was created with Citus DDL propagation on'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Citus would create pg_cron on every node it adds, and that fails where pg_cron is not preloaded.',
            HINT = 'Note your cron jobs, then: DROP EXTENSION pg_cron; SET citus.enable_ddl_propagation = off; CREATE EXTENSION pg_cron; RESET citus.enable_ddl_propagation; and schedule them again.';
  END IF;
  -- One connection per node from here on: a multi-shard query run in parallel would
  -- forbid the DDL below (FKs, grants) in this transaction.
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
  -- The worker's next claim waits for this transaction; a running job would write
  -- to the local tables while they are copied into shards.
  LOCK TABLE @extschema@.sync_jobs IN EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM @extschema@.sync_jobs WHERE state = 'running') THEN
    RAISE EXCEPTION 'a sync job is running'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Wait until tthub.sync_progress is empty, then call tthub_distribute() again.';
  END IF;

  ---------------------------------------------------------------- distribution
  -- Extension tables reference stores from the start: keep Citus from turning them
  -- into Citus local tables. The store-code trigger on stores (TH002) only raises, so
  -- it is safe on every shard.
  PERFORM set_config('citus.enable_local_reference_table_foreign_keys', 'off', true);
  PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
  -- Citus notices every copy and, when the local copies are truncated below, every
  -- table the TRUNCATE cascades to (local copies only): the summary says what matters.
  quiet := current_setting('client_min_messages');
  PERFORM set_config('client_min_messages', 'warning', true);

  -- Passes in foreign-key order: a table is taken once every table it references is a
  -- Citus table. Reference tables first, then store_accounts (the colocation group),
  -- then the rest.
  FOR pass IN 1..3 LOOP
    LOOP
      progress := false;
      FOR r IN
        SELECT c.oid::regclass AS tbl, c.relname::text AS name,
               c.relname <> 'stores' AND EXISTS (
                 SELECT 1 FROM pg_catalog.pg_constraint k
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                  WHERE k.conrelid = c.oid AND k.contype = 'p' AND a.attname = 'store_code') AS by_store
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                     AND d.refclassid = 'pg_catalog.pg_extension'::regclass
                                     AND d.refobjid = ext_oid AND d.deptype = 'e'
         WHERE c.relkind = 'r'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint f
                            WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
                              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
                                               WHERE p.logicalrelid = f.confrelid))
         ORDER BY c.relname
      LOOP
        IF pass = 1 AND NOT r.by_store THEN
          PERFORM pg_catalog.create_reference_table(r.tbl);
          new_reference := new_reference || r.name;
        ELSIF pass = 2 AND r.tbl = anchor THEN
          PERFORM pg_catalog.create_distributed_table(r.tbl, 'store_code', colocate_with => 'none',
                                                      shard_count => shard_count);
          new_distributed := new_distributed || r.name;
        ELSIF pass = 3 AND r.by_store THEN
          PERFORM pg_catalog.create_distributed_table(r.tbl, 'store_code', colocate_with => anchor::text);
          new_distributed := new_distributed || r.name;
        ELSE
          CONTINUE;
        END IF;
        progress := true;
      END LOOP;
      EXIT WHEN NOT progress;
    END LOOP;
  END LOOP;

  SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO bad
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                               AND d.refobjid = ext_oid AND d.deptype = 'e'
   WHERE c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'could not distribute: %', bad
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Each references a table that is neither distributed nor a reference table.';
  END IF;

  -- The rows were copied into the shards; the coordinator's local copies go.
  FOR r IN SELECT unnest(new_reference || new_distributed) AS name LOOP
    PERFORM pg_catalog.truncate_local_data_after_distributing_table(format('@extschema@.%I', r.name)::regclass);
  END LOOP;
  PERFORM set_config('client_min_messages', quiet, true);

  -- Citus checks the privileges of whoever reads a view on the shards themselves
  -- (citusdata/citus#1683), not the view owner's: readers of tthub_reporting need the
  -- schema and the tables behind its views, none of which holds a secret (accounts
  -- reach them through _accounts_without_tokens()). tthub_admin has these already.
  GRANT USAGE ON SCHEMA @extschema@ TO tthub_reader;
  GRANT SELECT ON @extschema@.stores, @extschema@.user_daily, @extschema@.video_daily, @extschema@.sync_logs,
                  @extschema@.sync_jobs, @extschema@.sync_ledger TO tthub_reader;

  ---------------------------------------------------------------- summary
  SELECT count(*) INTO citus_tables
    FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
   WHERE c.relnamespace = '@extschema@'::regnamespace;
  SELECT string_agg(format('%s:%s %s', n.nodename, n.nodeport, x.placements), ', ' ORDER BY n.groupid, n.nodeport)
    INTO placement_summary
    FROM (SELECT pl.groupid, count(*) AS placements
            FROM pg_catalog.pg_dist_placement pl
            JOIN pg_catalog.pg_dist_shard s ON s.shardid = pl.shardid
            JOIN pg_catalog.pg_class c ON c.oid = s.logicalrelid
           WHERE c.relnamespace = '@extschema@'::regnamespace
           GROUP BY pl.groupid) x
    JOIN pg_catalog.pg_dist_node n ON n.groupid = x.groupid AND n.noderole = 'primary';
  IF cardinality(new_reference) + cardinality(new_distributed) = 0 THEN
    RETURN format('nothing to distribute: all %s tthub tables are Citus tables already; shard placements per node: %s',
                  citus_tables, placement_summary);
  END IF;
  RETURN format('reference tables: %s; distributed by store_code: %s; %s tthub tables are Citus tables now; shard placements per node: %s',
                coalesce(nullif(array_to_string(ARRAY(SELECT unnest(new_reference) ORDER BY 1), ', '), ''), 'none new'),
                coalesce(nullif(array_to_string(ARRAY(SELECT unnest(new_distributed) ORDER BY 1), ', '), ''), 'none new'),
                citus_tables, placement_summary);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_distribute(integer) IS
  'On a Citus coordinator: make stores and the tables looked up without store_code reference tables, and distribute every table keyed by store_code by store_code, colocated (shard_count shards). One transaction; a second call distributes only what is missing. Returns a summary. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_distribute(integer) FROM PUBLIC;

-- src/extension_sql/0.3--0.4/82-citus-uninstall.sql
------------------------------------------------------------------------------
-- Removing tthub, on one node or from a Citus cluster. On Citus a plain DROP
-- EXTENSION tthub is refused (the coordinator's reference shard of stores carries
-- the store-code CHECK, which is no extension member), and DROP ... CASCADE leaves
-- every shard behind on every node. Dropping the shards first, in the same
-- transaction as the extension, leaves nothing (test/citus/suite.sh).
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_uninstall() RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  role text := @extschema@._citus_node_role();
  r record;
  tables integer := 0;
  shards bigint := 0;
BEGIN
  IF role = 'worker' THEN
    RAISE EXCEPTION 'tthub_uninstall() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Connect to the coordinator and call it there.';
  END IF;
  IF role = 'coordinator' THEN
    -- citus_drop_all_shards does nothing (returns -1) without DDL propagation.
    IF current_setting('citus.enable_ddl_propagation') <> 'on' THEN
      RAISE EXCEPTION 'tthub_uninstall() needs citus.enable_ddl_propagation on'
        USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'RESET citus.enable_ddl_propagation, then call it again.';
    END IF;
    -- A moved shard's old copy waits in pg_dist_cleanup for Citus to drop it, and
    -- would keep DROP EXTENSION from succeeding on its node.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_cleanup WHERE object_name LIKE '@extschema@.%') THEN
      RAISE EXCEPTION 'shards of tthub tables are waiting for Citus to drop them'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Old copies of moved shards stay until Citus cleans them up.',
              HINT = 'CALL citus_cleanup_orphaned_resources(); then call tthub_uninstall() again.';
    END IF;
    FOR r IN
      SELECT p.logicalrelid, c.relname::text AS name
        FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
       WHERE c.relnamespace = '@extschema@'::regnamespace
       ORDER BY p.partmethod = 'n', c.relname  -- distributed tables before the reference tables they reference
    LOOP
      shards := shards + greatest(pg_catalog.citus_drop_all_shards(r.logicalrelid, '@extschema@', r.name), 0);
      tables := tables + 1;
    END LOOP;
  END IF;
  IF to_regnamespace('cron') IS NOT NULL THEN
    PERFORM @extschema@.tthub_unschedule_daily_sync();
  END IF;
  -- The extension goes with this function; the running call is not disturbed. On
  -- Citus the DROP reaches every node. Roles stay (they are cluster-wide).
  DROP EXTENSION tthub;
  -- CREATE EXTENSION made the schema but it is no member: it goes too when nothing
  -- else lives in it (on Citus the DROP SCHEMA reaches every node).
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend
                  WHERE refclassid = 'pg_catalog.pg_namespace'::regclass AND refobjid = '@extschema@'::regnamespace) THEN
    DROP SCHEMA @extschema@;
  END IF;
  RETURN CASE WHEN role = 'coordinator'
              THEN format('tthub removed from every node (%s shards of %s Citus tables dropped)', shards, tables)
              ELSE 'tthub removed' END;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_uninstall() IS
  'Remove tthub: unschedules the daily sync, on a Citus coordinator drops every shard of its tables on every node, then drops the extension (on every node). Data is lost: dump it first. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_uninstall() FROM PUBLIC;
