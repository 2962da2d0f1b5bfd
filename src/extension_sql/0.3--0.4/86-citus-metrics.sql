------------------------------------------------------------------------------
-- Citus: the Prometheus views of 45-metrics.sql in shapes Citus plans, with the
-- same columns and values on one node. Citus refuses a subquery correlated to a
-- reference table or a function scan when it reads a distributed table, and checks
-- a view reader's privileges on the shards, where the reader has none on
-- store_accounts (its token columns): accounts are read through tthub.accounts.
------------------------------------------------------------------------------
CREATE OR REPLACE VIEW tthub_reporting.metrics_worker AS
  SELECT @extschema@._sync_workers_running()::float8 AS up;

CREATE OR REPLACE VIEW tthub_reporting.metrics_jobs AS
  SELECT s.state::text AS state, count(j.job_id)::float8 AS jobs
    FROM unnest(enum_range(NULL::@extschema@.job_state)) AS s(state)
    LEFT JOIN @extschema@.sync_jobs j ON j.state = s.state
   GROUP BY s.state
   ORDER BY s.state;

CREATE OR REPLACE VIEW tthub_reporting.metrics_stores AS
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
   WHERE s.disabled_at IS NULL;

CREATE OR REPLACE VIEW tthub_reporting.metrics_accounts AS
  SELECT a.store_code::text AS store_code, a.open_id::text AS open_id,
         extract(epoch FROM a.refresh_token_expires_at)::float8 AS refresh_token_expiry_timestamp_seconds
    FROM @extschema@.accounts a
    JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
   WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at IS NOT NULL;

CREATE OR REPLACE VIEW tthub_reporting.metrics_account_status AS
  SELECT s.status::text AS status, count(x.open_id)::float8 AS accounts
    FROM unnest(enum_range(NULL::@extschema@.account_status)) AS s(status)
    LEFT JOIN (SELECT a.status, a.open_id FROM @extschema@.accounts a
                 JOIN @extschema@.stores t ON t.store_code = a.store_code AND t.disabled_at IS NULL) x
           ON x.status = s.status
   GROUP BY s.status
   ORDER BY s.status;

CREATE OR REPLACE VIEW tthub_reporting.metrics_webhook_deliveries AS
  SELECT s.state, count(d.delivery_id)::float8 AS deliveries
    FROM unnest(ARRAY['queued', 'running', 'done', 'dead']) WITH ORDINALITY AS s(state, n)
    LEFT JOIN @extschema@.deliveries d ON d.state::text = s.state
   GROUP BY s.state, s.n
   ORDER BY s.n;

-- webhook_deliveries (40-alerts.sql) with the webhooks' URLs read with the owner's
-- rights: on Citus an admin's query reaches the shards of webhooks, whose signing
-- secrets no role may read, so it gets no grant there.
CREATE OR REPLACE FUNCTION @extschema@._webhook_urls() RETURNS TABLE (webhook_id bigint, url text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT w.webhook_id, w.url FROM @extschema@.webhooks w
$$;
COMMENT ON FUNCTION @extschema@._webhook_urls() IS
  'Internal: every webhook''s id and URL (never its secret), read with the extension owner''s rights.';
REVOKE ALL ON FUNCTION @extschema@._webhook_urls() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._webhook_urls() TO tthub_admin;

CREATE OR REPLACE VIEW @extschema@.webhook_deliveries AS
  SELECT d.delivery_id, d.webhook_id, w.url, d.store_code, d.event_id, e.event, e.occurred_at,
         d.state::text AS state, d.attempts, d.run_after, d.last_http_status, d.last_error, d.last_duration_ms,
         d.created_at, d.started_at, d.finished_at
    FROM @extschema@.deliveries d
    JOIN @extschema@.events e ON e.store_code = d.store_code AND e.event_id = d.event_id
    JOIN @extschema@._webhook_urls() w ON w.webhook_id = d.webhook_id;
