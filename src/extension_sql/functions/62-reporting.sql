-- Reporting views, and tthub_reporting: what readers read (tables/00-roles-schemas.sql).
-- Every view column has a comment, and none is a bare numeric (BI tools type a column
-- from its declared precision and scale).

CREATE OR REPLACE VIEW @extschema@.account_daily AS
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
GRANT SELECT ON @extschema@.account_daily TO tthub_admin;

-- The previous snapshot of each row by lag() over the video's days, partitioned by
-- store_code first: a filter on one store passes below the window, so on Citus the
-- query runs on that store's shard alone (a per-row LATERAL lookup, faster for a few
-- days on one node, keeps Citus from routing it). A date filter applies above the
-- window: the store's whole history is read (bench/README.md).
CREATE OR REPLACE VIEW @extschema@.video_daily_delta AS
  SELECT v.store_code, v.video_id, v.snapshot_date, v.open_id, v.title, v.create_time,
         v.view_count, v.like_count, v.comment_count, v.share_count,
         v.previous_snapshot_date,
         v.snapshot_date - v.previous_snapshot_date AS days_since_previous,
         v.view_count - v.prev_views AS views_change,
         v.like_count - v.prev_likes AS likes_change,
         v.comment_count - v.prev_comments AS comments_change,
         v.share_count - v.prev_shares AS shares_change,
         round((v.view_count - v.prev_views)::numeric / (v.snapshot_date - v.previous_snapshot_date), 2)::numeric(21, 2)
           AS views_per_day
    FROM (SELECT d.store_code, d.video_id, d.snapshot_date, d.open_id, d.title, d.create_time,
                 d.view_count, d.like_count, d.comment_count, d.share_count,
                 lag(d.snapshot_date) OVER w AS previous_snapshot_date,
                 lag(d.view_count) OVER w AS prev_views,
                 lag(d.like_count) OVER w AS prev_likes,
                 lag(d.comment_count) OVER w AS prev_comments,
                 lag(d.share_count) OVER w AS prev_shares
            FROM @extschema@.video_daily d
          WINDOW w AS (PARTITION BY d.store_code, d.video_id ORDER BY d.snapshot_date)) v;
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
GRANT SELECT ON @extschema@.video_daily_delta TO tthub_admin;

CREATE OR REPLACE VIEW @extschema@.video_latest AS
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
GRANT SELECT ON @extschema@.video_latest TO tthub_admin;

-- Routed on Citus: each per-store part is grouped by store_code, with no LATERAL ...
-- LIMIT (which keeps Citus from routing), so a filter on one store reaches every
-- table and the query runs on that store's shard alone.
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
      -- earlier (so a missing day does not empty the growth figure): the greatest
      -- ARRAY[day, value] (arrays compare by their first element first).
      SELECT c.store_code, max(c.latest) AS latest_snapshot_date,
             sum(c.followers) AS followers, sum(c.likes) AS likes, sum(c.videos) AS videos,
             sum(c.followers_7d) AS followers_7d, sum(c.followers_30d) AS followers_30d,
             sum(c.likes_7d) AS likes_7d, sum(c.likes_30d) AS likes_30d
        FROM (SELECT u.store_code, u.open_id, max(u.latest) AS latest,
                     max(u.follower_count) FILTER (WHERE u.snapshot_date = u.latest) AS followers,
                     max(u.likes_count) FILTER (WHERE u.snapshot_date = u.latest) AS likes,
                     max(u.video_count) FILTER (WHERE u.snapshot_date = u.latest) AS videos,
                     (max(ARRAY[u.snapshot_date - DATE '2000-01-01', u.follower_count])
                        FILTER (WHERE u.snapshot_date <= u.latest - 7))[2] AS followers_7d,
                     (max(ARRAY[u.snapshot_date - DATE '2000-01-01', u.follower_count])
                        FILTER (WHERE u.snapshot_date <= u.latest - 30))[2] AS followers_30d,
                     (max(ARRAY[u.snapshot_date - DATE '2000-01-01', u.likes_count])
                        FILTER (WHERE u.snapshot_date <= u.latest - 7))[2] AS likes_7d,
                     (max(ARRAY[u.snapshot_date - DATE '2000-01-01', u.likes_count])
                        FILTER (WHERE u.snapshot_date <= u.latest - 30))[2] AS likes_30d
                FROM (SELECT d.store_code, d.open_id, d.snapshot_date, d.follower_count, d.likes_count,
                             d.video_count,
                             max(d.snapshot_date) OVER (PARTITION BY d.store_code, d.open_id) AS latest
                        FROM @extschema@.user_daily d) u
               GROUP BY u.store_code, u.open_id) c
       GROUP BY c.store_code) g ON g.store_code = s.store_code
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
GRANT SELECT ON @extschema@.store_summary TO tthub_admin;

-- What readers read. Per-store views are made by tthub._create_reporting_view
-- (functions/15-clients.sql): a client reader (tthub_grant_client_reader) sees its
-- clients' stores only, leak-proof; they end with the store's client and labels,
-- per-video ones also with video_labels. Views that are not per store (health, the
-- job queue) show a client reader nothing. All are security barriers.
SELECT @extschema@._create_reporting_view('stores', $q$
  SELECT s.store_code, s.store_name, s.pic_name, s.pic_contact, s.created_at, s.updated_at, s.disabled_at,
         @extschema@._day_zone(s.timezone) AS timezone
    FROM @extschema@.stores s $q$, 'store');

SELECT @extschema@._create_reporting_view('accounts', $q$
  SELECT store_code, open_id, display_name, avatar_url, scope, status::text AS status, status_reason,
         token_expires_at, refresh_token_expires_at, last_sync_at, connected_at, updated_at
    FROM @extschema@.accounts $q$, 'store');

SELECT @extschema@._create_reporting_view('user_daily', $q$
  SELECT store_code, open_id, snapshot_date, display_name, avatar_url, follower_count, following_count,
         likes_count, video_count, created_at, updated_at
    FROM @extschema@.user_daily $q$, 'store');

-- A cover link works 6 hours after TikTok hands it out (reference section 8): an
-- older one is not shown as if it did.
SELECT @extschema@._create_reporting_view('video_daily', $q$
  SELECT store_code, video_id, snapshot_date, open_id, title, description,
         CASE WHEN updated_at > now() - interval '6 hours' THEN cover_image_url END AS cover_image_url, share_url,
         create_time, duration, view_count, like_count, comment_count, share_count, created_at, updated_at
    FROM @extschema@.video_daily $q$, 'video');

SELECT @extschema@._create_reporting_view('sync_logs', $q$
  SELECT store_code, log_id, job_id, open_id, job_type, status::text AS status, message, records_processed,
         http_status, started_at, completed_at
    FROM @extschema@.sync_logs $q$, 'store');

SELECT @extschema@._create_reporting_view('sync_jobs', $q$
  SELECT store_code, job_id, job_type, snapshot_date, state::text AS state, attempts, run_after, lease_until,
         worker_pid, current_open_id, pages_fetched, videos_seen, last_error, last_http_status, created_at,
         started_at, finished_at, updated_at
    FROM @extschema@.sync_jobs $q$, 'store');

SELECT @extschema@._create_reporting_view('sync_ledger', $q$
  SELECT store_code, open_id, snapshot_date, job_id, pages_fetched, videos_seen, complete, started_at,
         finished_at, updated_at
    FROM @extschema@.sync_ledger $q$, 'store');

SELECT @extschema@._create_reporting_view('sync_progress', $q$
  SELECT store_code, job_id, open_id, pages_fetched, videos_seen, started_at, attempt, lease_until, worker_pid
    FROM @extschema@.sync_progress $q$, 'store');

-- Counts over every store: an operator's view, not a client's.
CREATE OR REPLACE VIEW tthub_reporting.job_queue WITH (security_barrier) AS
  SELECT * FROM (
  SELECT state::text AS state, jobs, next_run_after FROM @extschema@.job_queue
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));

SELECT @extschema@._create_reporting_view('dead_jobs', $q$
  SELECT store_code, job_id, job_type, snapshot_date, attempts, last_error, last_http_status, created_at,
         finished_at
    FROM @extschema@.dead_jobs $q$, 'store');

SELECT @extschema@._create_reporting_view('account_daily', $q$
  SELECT store_code, open_id, snapshot_date, display_name, follower_count, following_count, likes_count,
         video_count, previous_snapshot_date, days_since_previous, follower_change, following_change,
         likes_change, video_change, follower_change_per_day
    FROM @extschema@.account_daily $q$, 'store');

SELECT @extschema@._create_reporting_view('video_daily_delta', $q$
  SELECT store_code, video_id, snapshot_date, open_id, title, create_time, view_count, like_count,
         comment_count, share_count, previous_snapshot_date, days_since_previous, views_change, likes_change,
         comments_change, shares_change, views_per_day
    FROM @extschema@.video_daily_delta $q$, 'video');

SELECT @extschema@._create_reporting_view('video_latest', $q$
  SELECT store_code, video_id, snapshot_date, open_id, title, description, share_url, create_time, duration,
         view_count, like_count, comment_count, share_count, engagement_rate
    FROM @extschema@.video_latest $q$, 'video');

SELECT @extschema@._create_reporting_view('store_summary', $q$
  SELECT store_code, store_name, active, accounts, accounts_connected, accounts_need_reconnect, accounts_error,
         latest_snapshot_date, followers, likes, videos, follower_growth_7d, follower_growth_30d,
         likes_growth_7d, likes_growth_30d, last_successful_sync, consecutive_failures
    FROM @extschema@.store_summary $q$, 'store');

-- Counts over every store: an operator's view, not a client's.
CREATE OR REPLACE VIEW tthub_reporting.health WITH (security_barrier) AS
  SELECT * FROM (
  SELECT metric, value, help FROM @extschema@.health
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));

-- A SQL-standard body without SET, so that it is inlined (functions/10-stores.sql).
CREATE OR REPLACE FUNCTION tthub_reporting.snapshot_today() RETURNS date
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN @extschema@.snapshot_today();
COMMENT ON FUNCTION tthub_reporting.snapshot_today() IS
  'Today in tthub.snapshot_timezone: the snapshot day of a store without a time zone of its own.';
REVOKE ALL ON FUNCTION tthub_reporting.snapshot_today() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tthub_reporting.snapshot_today() TO tthub_reader, tthub_admin;

-- Through tthub_reporting.stores: NULL for a store the reader may not read, as for
-- one that does not exist.
CREATE OR REPLACE FUNCTION tthub_reporting.store_today(store_code text) RETURNS date
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
  BEGIN ATOMIC
    SELECT @extschema@._day_in(s.timezone) FROM tthub_reporting.stores s WHERE s.store_code = store_today.store_code;
  END;
COMMENT ON FUNCTION tthub_reporting.store_today(text) IS
  'Today in the store''s time zone: the snapshot day a sync of it started now writes. NULL for a store you cannot read.';
REVOKE ALL ON FUNCTION tthub_reporting.store_today(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tthub_reporting.store_today(text) TO tthub_reader, tthub_admin;

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
