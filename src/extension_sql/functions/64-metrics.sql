------------------------------------------------------------------------------
-- Metrics for Prometheus (monitoring/postgres_exporter.yaml reads these views as a
-- role in tthub_reader + pg_monitor). One view per metric family, with the label
-- columns first; every number typed. The views are in
-- shapes Citus plans (no subquery correlated to a reference table or function scan
-- over a distributed table; accounts read through tthub.accounts, since Citus checks
-- a reader's privileges on the shards), with the same values on one node.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._request_stats() RETURNS text
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_request_stats';
COMMENT ON FUNCTION @extschema@._request_stats() IS
  'TikTok requests by endpoint and status class since the server started, with their total seconds, from shared memory (JSON).';
REVOKE ALL ON FUNCTION @extschema@._request_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._request_stats() TO tthub_reader, tthub_admin;

-- Counts over every store, not a client's: a client reader gets no row. The one-time
-- filter sits above a fence (Citus refuses it beside an outer join).
CREATE OR REPLACE VIEW tthub_reporting.metrics_worker WITH (security_barrier) AS
  SELECT * FROM (
  SELECT @extschema@._sync_workers_running()::float8 AS up,
         @extschema@._worker_heartbeat_age() AS heartbeat_age_seconds,
         @extschema@._token_key_loaded()::float8 AS token_key_loaded
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));
COMMENT ON VIEW tthub_reporting.metrics_worker IS
  'tthub_worker_up: 1 when the sync worker serving this database runs; tthub_worker_heartbeat_age_seconds: since it last passed its loop; tthub_worker_token_key_loaded: whether the server can read the stored tokens.';
COMMENT ON COLUMN tthub_reporting.metrics_worker.up IS '1: running, 0: not.';
COMMENT ON COLUMN tthub_reporting.metrics_worker.heartbeat_age_seconds IS
  'Seconds since the worker last passed its loop (below 60 when it works); NULL when no worker runs on this node.';
COMMENT ON COLUMN tthub_reporting.metrics_worker.token_key_loaded IS
  '1: the token key reads every stored token; 0: missing, unreadable, or a stored token''s key id is unknown.';
GRANT SELECT ON tthub_reporting.metrics_worker TO tthub_reader, tthub_admin;

CREATE OR REPLACE VIEW tthub_reporting.metrics_jobs WITH (security_barrier) AS
  SELECT * FROM (
  SELECT s.state::text AS state, count(j.job_id)::float8 AS jobs
    FROM unnest(enum_range(NULL::@extschema@.job_state)) AS s(state)
    LEFT JOIN @extschema@.sync_jobs j ON j.state = s.state
   GROUP BY s.state
   ORDER BY s.state
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));
COMMENT ON VIEW tthub_reporting.metrics_jobs IS 'tthub_jobs{state}: sync jobs in each state (every state, 0 included).';
COMMENT ON COLUMN tthub_reporting.metrics_jobs.state IS 'Job state.';
COMMENT ON COLUMN tthub_reporting.metrics_jobs.jobs IS 'Jobs in that state.';
GRANT SELECT ON tthub_reporting.metrics_jobs TO tthub_reader, tthub_admin;

-- Per store: made like the other per-store views (functions/15-clients.sql).
SELECT @extschema@._create_reporting_view('metrics_stores', $q$
  SELECT s.store_code::text AS store_code,
         extract(epoch FROM a.last_success)::float8 AS last_success_timestamp_seconds,
         (coalesce(u.n, 0) + coalesce(v.n, 0))::float8 AS rows_synced
    FROM @extschema@.stores s
    JOIN (SELECT x.store_code, max(x.last_sync_at) AS last_success FROM @extschema@.accounts x
           GROUP BY x.store_code HAVING max(x.last_sync_at) IS NOT NULL) a ON a.store_code = s.store_code
    -- The rows of the store's latest snapshot day.
    LEFT JOIN (SELECT l.store_code, count(*) AS n
                 FROM (SELECT store_code, max(snapshot_date) AS day FROM @extschema@.user_daily GROUP BY store_code) l
                 JOIN @extschema@.user_daily ud ON ud.store_code = l.store_code AND ud.snapshot_date = l.day
                GROUP BY l.store_code) u ON u.store_code = s.store_code
    LEFT JOIN (SELECT l.store_code, count(*) AS n
                 FROM (SELECT store_code, max(snapshot_date) AS day FROM @extschema@.user_daily GROUP BY store_code) l
                 JOIN @extschema@.video_daily vd ON vd.store_code = l.store_code AND vd.snapshot_date = l.day
                GROUP BY l.store_code) v ON v.store_code = s.store_code
   WHERE s.disabled_at IS NULL $q$, 'store');
COMMENT ON VIEW tthub_reporting.metrics_stores IS
  'tthub_store_last_success_timestamp_seconds and tthub_store_rows_synced{store_code}: active stores synced at least once.';
COMMENT ON COLUMN tthub_reporting.metrics_stores.store_code IS 'Store.';
COMMENT ON COLUMN tthub_reporting.metrics_stores.last_success_timestamp_seconds IS 'Unix time of the store''s last successful account sync.';
COMMENT ON COLUMN tthub_reporting.metrics_stores.rows_synced IS 'Snapshot rows (user_daily + video_daily) of the store''s latest snapshot day.';
GRANT SELECT ON tthub_reporting.metrics_stores TO tthub_reader, tthub_admin;

SELECT @extschema@._create_reporting_view('metrics_accounts', $q$
  SELECT a.store_code::text AS store_code, a.open_id::text AS open_id,
         extract(epoch FROM a.refresh_token_expires_at)::float8 AS refresh_token_expiry_timestamp_seconds
    FROM @extschema@.accounts a
    JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
   WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at IS NOT NULL $q$, 'store');
COMMENT ON VIEW tthub_reporting.metrics_accounts IS
  'tthub_account_refresh_token_expiry_timestamp_seconds{store_code,open_id}: accounts to sync.';
COMMENT ON COLUMN tthub_reporting.metrics_accounts.store_code IS 'Store.';
COMMENT ON COLUMN tthub_reporting.metrics_accounts.open_id IS 'TikTok account.';
COMMENT ON COLUMN tthub_reporting.metrics_accounts.refresh_token_expiry_timestamp_seconds IS 'Unix time the refresh token expires; the owner must reconnect before.';
GRANT SELECT ON tthub_reporting.metrics_accounts TO tthub_reader, tthub_admin;

CREATE OR REPLACE VIEW tthub_reporting.metrics_account_status WITH (security_barrier) AS
  SELECT * FROM (
  SELECT s.status::text AS status, count(x.open_id)::float8 AS accounts
    FROM unnest(enum_range(NULL::@extschema@.account_status)) AS s(status)
    LEFT JOIN (SELECT a.status, a.open_id FROM @extschema@.accounts a
                 JOIN @extschema@.stores t ON t.store_code = a.store_code AND t.disabled_at IS NULL) x
           ON x.status = s.status
   GROUP BY s.status
   ORDER BY s.status
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));
COMMENT ON VIEW tthub_reporting.metrics_account_status IS
  'tthub_accounts{status}: accounts of active stores in each status (NEED_RECONNECT: their owner must reconnect).';
COMMENT ON COLUMN tthub_reporting.metrics_account_status.status IS 'Account status.';
COMMENT ON COLUMN tthub_reporting.metrics_account_status.accounts IS 'Accounts in that status.';
GRANT SELECT ON tthub_reporting.metrics_account_status TO tthub_reader, tthub_admin;

CREATE OR REPLACE VIEW tthub_reporting.metrics_requests WITH (security_barrier) AS
  SELECT * FROM (
  SELECT r.endpoint, r.status_class, r.requests::float8 AS requests, r.duration_seconds::float8 AS duration_seconds
    FROM jsonb_to_recordset(@extschema@._request_stats()::jsonb)
         AS r(endpoint text, status_class text, requests bigint, duration_seconds float8)
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));
COMMENT ON VIEW tthub_reporting.metrics_requests IS
  'tthub_requests_total{endpoint,status_class} and tthub_request_duration_seconds: TikTok requests since the server started.';
COMMENT ON COLUMN tthub_reporting.metrics_requests.endpoint IS 'TikTok endpoint: oauth/token, user/info, video/list or video/query.';
COMMENT ON COLUMN tthub_reporting.metrics_requests.status_class IS '2xx, 4xx, 5xx ..., or error (no HTTP response).';
COMMENT ON COLUMN tthub_reporting.metrics_requests.requests IS 'Requests completed (a counter).';
COMMENT ON COLUMN tthub_reporting.metrics_requests.duration_seconds IS 'Their total duration in seconds (a counter).';
GRANT SELECT ON tthub_reporting.metrics_requests TO tthub_reader, tthub_admin;

-- The counts are read with the extension owner's rights: on Citus a view's tables are
-- checked with the reader's own on the shards, and readers get no grant on the
-- webhook queue (only admins see deliveries).
CREATE OR REPLACE FUNCTION @extschema@._delivery_counts() RETURNS TABLE (state text, deliveries bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT d.state::text, count(*) FROM @extschema@.deliveries d
   -- None for a client reader's login: on Citus it may call this directly.
   WHERE NOT (SELECT pg_catalog.pg_has_role(session_user, 'tthub_client_reader', 'MEMBER'))
      OR (SELECT @extschema@._reads_all_stores(session_user))
   GROUP BY d.state
$$;
COMMENT ON FUNCTION @extschema@._delivery_counts() IS
  'Internal: webhook deliveries per state (no more), read with the extension owner''s rights for the metrics view.';
REVOKE ALL ON FUNCTION @extschema@._delivery_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._delivery_counts() TO tthub_reader, tthub_admin;

CREATE OR REPLACE VIEW tthub_reporting.metrics_webhook_deliveries WITH (security_barrier) AS
  SELECT * FROM (
  SELECT s.state, coalesce(d.deliveries, 0)::float8 AS deliveries
    FROM unnest(ARRAY['queued', 'running', 'done', 'dead']) WITH ORDINALITY AS s(state, n)
    LEFT JOIN @extschema@._delivery_counts() d ON d.state = s.state
   ORDER BY s.n
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));
COMMENT ON VIEW tthub_reporting.metrics_webhook_deliveries IS 'tthub_webhook_deliveries{state}: webhook deliveries in each state.';
COMMENT ON COLUMN tthub_reporting.metrics_webhook_deliveries.state IS 'queued, running, done or dead.';
COMMENT ON COLUMN tthub_reporting.metrics_webhook_deliveries.deliveries IS 'Deliveries in that state.';
GRANT SELECT ON tthub_reporting.metrics_webhook_deliveries TO tthub_reader, tthub_admin;
