-- tthub 0.1 -> 0.2: the analyst and DBA layer. Reporting views, store management,
-- snapshot retention and a health view; stores can be disabled.
\echo Use "ALTER EXTENSION tthub UPDATE TO '0.2'" to load this file. \quit

------------------------------------------------------------------------------
-- Disabling a store
------------------------------------------------------------------------------
ALTER TABLE @extschema@.stores ADD COLUMN disabled_at timestamptz;
COMMENT ON COLUMN @extschema@.stores.disabled_at IS 'When the store was disabled (NULL: active). A disabled store is not synced; its data stays.';

CREATE FUNCTION @extschema@._require_store(store_code text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF NOT EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = _require_store.store_code) THEN
    RAISE EXCEPTION 'store "%" does not exist', store_code USING ERRCODE = 'no_data_found';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_store(text) IS 'Internal: a valid code of an existing store, or a clear error.';

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
  RETURN @extschema@._enqueue(store_code, 'manual_sync');
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.tthub_sync_all() RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  created integer;
BEGIN
  WITH enqueued AS (
    INSERT INTO @extschema@.sync_jobs (store_code, snapshot_date, job_type)
    SELECT DISTINCT a.store_code, @extschema@.snapshot_today(), 'daily_sync'
      FROM @extschema@.store_accounts a
      JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
     WHERE a.status IN ('CONNECTED', 'ERROR')
    ON CONFLICT (store_code, snapshot_date) WHERE state IN ('queued', 'running') DO NOTHING
    RETURNING 1)
  SELECT count(*) INTO created FROM enqueued;
  IF created > 0 THEN
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN created;
END
$$;

------------------------------------------------------------------------------
-- Store management (tthub_admin)
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.tthub_add_store(store_code text, store_name text, pic_name text DEFAULT NULL,
                                            pic_contact text DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF coalesce(btrim(store_name), '') = '' THEN
    RAISE EXCEPTION 'a store needs a name' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO @extschema@.stores (store_code, store_name, pic_name, pic_contact)
  VALUES (store_code, btrim(store_name), nullif(btrim(pic_name), ''), nullif(btrim(pic_contact), ''));
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'store "%" already exists', store_code USING ERRCODE = 'unique_violation';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_add_store(text, text, text, text) IS 'Add a store (code: 1-50 of a-z, 0-9, _ and -).';

CREATE FUNCTION @extschema@.tthub_update_store(store_code text, store_name text DEFAULT NULL,
                                               pic_name text DEFAULT NULL, pic_contact text DEFAULT NULL) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF store_name IS NOT NULL AND btrim(store_name) = '' THEN
    RAISE EXCEPTION 'a store needs a name' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE @extschema@.stores s
     SET store_name = coalesce(btrim(tthub_update_store.store_name), s.store_name),
         pic_name = coalesce(tthub_update_store.pic_name, s.pic_name),
         pic_contact = coalesce(tthub_update_store.pic_contact, s.pic_contact),
         updated_at = now()
   WHERE s.store_code = tthub_update_store.store_code;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_update_store(text, text, text, text) IS 'Change a store''s name or contact (NULL arguments keep the current value).';

CREATE FUNCTION @extschema@.tthub_disable_store(store_code text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s SET disabled_at = coalesce(s.disabled_at, now()), updated_at = now()
   WHERE s.store_code = tthub_disable_store.store_code;
  -- Jobs not started yet are dropped; a running one finishes.
  DELETE FROM @extschema@.sync_jobs j WHERE j.store_code = tthub_disable_store.store_code AND j.state = 'queued';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_disable_store(text) IS 'Stop syncing a store (queued jobs are dropped); its accounts and snapshots stay.';

CREATE FUNCTION @extschema@.tthub_enable_store(store_code text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s SET disabled_at = NULL, updated_at = now()
   WHERE s.store_code = tthub_enable_store.store_code;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_enable_store(text) IS 'Sync a disabled store again.';

------------------------------------------------------------------------------
-- Retention of snapshots (for pg_cron)
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.tthub_prune_snapshots(keep_days integer, table_name text DEFAULT 'all') RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cutoff date;
  n bigint;
  total bigint := 0;
BEGIN
  IF keep_days IS NULL OR keep_days < 1 THEN
    RAISE EXCEPTION 'keep_days must be at least 1' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF table_name NOT IN ('all', 'user_daily', 'video_daily', 'sync_ledger') THEN
    RAISE EXCEPTION 'table_name must be all, user_daily, video_daily or sync_ledger'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cutoff := @extschema@.snapshot_today() - keep_days;
  IF table_name IN ('all', 'video_daily') THEN
    DELETE FROM @extschema@.video_daily WHERE snapshot_date < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
  END IF;
  IF table_name IN ('all', 'user_daily') THEN
    DELETE FROM @extschema@.user_daily WHERE snapshot_date < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
  END IF;
  IF table_name IN ('all', 'sync_ledger') THEN
    DELETE FROM @extschema@.sync_ledger WHERE snapshot_date < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
  END IF;
  RETURN total;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_prune_snapshots(integer, text) IS
  'Delete snapshots older than keep_days (from all snapshot tables, or one); returns rows deleted. For pg_cron.';

------------------------------------------------------------------------------
-- Reporting views (tthub_reader)
------------------------------------------------------------------------------
CREATE VIEW @extschema@.account_daily AS
  SELECT store_code, open_id, snapshot_date, display_name,
         follower_count, following_count, likes_count, video_count,
         previous_snapshot_date,
         snapshot_date - previous_snapshot_date AS days_since_previous,
         follower_count - prev_followers AS follower_change,
         following_count - prev_following AS following_change,
         likes_count - prev_likes AS likes_change,
         video_count - prev_videos AS video_change,
         round((follower_count - prev_followers)::numeric / (snapshot_date - previous_snapshot_date), 2) AS follower_change_per_day
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
COMMENT ON COLUMN @extschema@.account_daily.follower_change_per_day IS 'follower_change / days_since_previous.';

-- The previous snapshot is looked up per row through the primary key rather than with
-- lag(): a date filter cannot pass below a window function, so lag() would read the
-- store's whole history for any range; the lookup costs what the range holds
-- (bench/README.md: 25 ms instead of 239 ms for a 7-day top 10 on a year of data).
CREATE VIEW @extschema@.video_daily_delta AS
  SELECT v.store_code, v.video_id, v.snapshot_date, v.open_id, v.title, v.create_time,
         v.view_count, v.like_count, v.comment_count, v.share_count,
         p.snapshot_date AS previous_snapshot_date,
         v.snapshot_date - p.snapshot_date AS days_since_previous,
         v.view_count - p.view_count AS views_change,
         v.like_count - p.like_count AS likes_change,
         v.comment_count - p.comment_count AS comments_change,
         v.share_count - p.share_count AS shares_change,
         round((v.view_count - p.view_count)::numeric / (v.snapshot_date - p.snapshot_date), 2) AS views_per_day
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
COMMENT ON COLUMN @extschema@.video_daily_delta.views_per_day IS 'views_change / days_since_previous.';

CREATE VIEW @extschema@.video_latest AS
  SELECT DISTINCT ON (store_code, video_id)
         store_code, video_id, snapshot_date, open_id, title, description, share_url, create_time, duration,
         view_count, like_count, comment_count, share_count,
         round((like_count + comment_count + share_count)::numeric / nullif(view_count, 0), 6) AS engagement_rate
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
COMMENT ON COLUMN @extschema@.video_latest.engagement_rate IS '(likes + comments + shares) / views; NULL when views = 0.';

CREATE VIEW @extschema@.store_summary AS
  SELECT s.store_code, s.store_name, s.disabled_at IS NULL AS active,
         coalesce(a.accounts, 0) AS accounts,
         coalesce(a.connected, 0) AS accounts_connected,
         coalesce(a.need_reconnect, 0) AS accounts_need_reconnect,
         coalesce(a.in_error, 0) AS accounts_error,
         g.latest_snapshot_date, g.followers, g.likes, g.videos,
         g.followers - g.followers_7d AS follower_growth_7d,
         g.followers - g.followers_30d AS follower_growth_30d,
         g.likes - g.likes_7d AS likes_growth_7d,
         g.likes - g.likes_30d AS likes_growth_30d,
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

------------------------------------------------------------------------------
-- Health, one row per metric (Prometheus exporters, Grafana)
------------------------------------------------------------------------------
CREATE VIEW @extschema@.health AS
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
    ('tthub_worker_running',
     (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'tthub sync worker')::float8,
     'tthub sync workers alive (1 expected).')
  ) AS m(metric, value, help);
COMMENT ON VIEW @extschema@.health IS 'tthub''s health, one row per metric (Prometheus-style names), for monitoring.';
COMMENT ON COLUMN @extschema@.health.metric IS 'Metric name.';
COMMENT ON COLUMN @extschema@.health.value IS 'Current value.';
COMMENT ON COLUMN @extschema@.health.help IS 'What it measures.';

------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------
GRANT SELECT ON @extschema@.account_daily, @extschema@.video_daily_delta, @extschema@.video_latest,
                @extschema@.store_summary, @extschema@.health TO tthub_reader, tthub_admin;
REVOKE ALL ON FUNCTION @extschema@.tthub_add_store(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_update_store(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_disable_store(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_enable_store(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_prune_snapshots(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_add_store(text, text, text, text),
                          @extschema@.tthub_update_store(text, text, text, text),
                          @extschema@.tthub_disable_store(text), @extschema@.tthub_enable_store(text),
                          @extschema@.tthub_prune_snapshots(integer, text) TO tthub_admin;
