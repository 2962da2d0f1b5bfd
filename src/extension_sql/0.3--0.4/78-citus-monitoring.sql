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
