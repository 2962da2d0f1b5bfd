-- tthub.videos, video_observations (partitioned by day), account_refresh, refresh_calls
-- and refresh jobs (issue 19), for an install of 0.4: the tables as tables/45-videos.sql
-- and tables/30-queue.sql make them, then the metadata 0.4 kept in video_daily backfilled
-- into videos. Idempotent: Citus runs an update on every worker node too.
DO $upgrade$
BEGIN
  IF to_regclass('@extschema@.videos') IS NOT NULL THEN
    RETURN;
  END IF;
  EXECUTE $ddl$CREATE TABLE @extschema@.videos (
  store_code       varchar(50)  NOT NULL REFERENCES @extschema@.stores (store_code),
  video_id         varchar(64)  NOT NULL,
  open_id          varchar(128) NOT NULL,
  title            text,
  description      text,
  create_time      timestamptz,
  duration         integer CHECK (duration >= 0),
  height           integer CHECK (height >= 0),
  width            integer CHECK (width >= 0),
  share_url        text,
  embed_link       text,
  cover_image_url  text,
  cover_fetched_at timestamptz,
  view_count       bigint CHECK (view_count >= 0),
  like_count       bigint CHECK (like_count >= 0),
  comment_count    bigint CHECK (comment_count >= 0),
  share_count      bigint CHECK (share_count >= 0),
  first_seen_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  last_listed_at   timestamptz,
  last_observed_at timestamptz,
  removed_at       timestamptz,
  PRIMARY KEY (store_code, video_id)
)$ddl$;
  EXECUTE $ddl$CREATE INDEX videos_due_idx ON @extschema@.videos (store_code, open_id, last_observed_at) WHERE removed_at IS NULL$ddl$;
  EXECUTE $ddl$CREATE INDEX videos_fresh_idx ON @extschema@.videos (store_code, open_id, create_time) WHERE removed_at IS NULL$ddl$;
  EXECUTE $ddl$COMMENT ON TABLE @extschema@.videos IS
  'One row per video: its metadata, latest counters, when tthub first and last saw it and when it stopped being public. Written by every sync and refresh.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.store_code IS 'Store of the video''s account.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.video_id IS 'TikTok video id, kept as text (ids exceed bigint).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.open_id IS 'Account that posted the video.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.title IS 'Video title (max 150 characters).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.description IS 'Video description (video_description, max 150 characters).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.create_time IS 'When the video was posted; its age decides its refresh tier.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.duration IS 'Length in seconds.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.height IS 'Height in pixels.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.width IS 'Width in pixels.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.share_url IS 'Shareable link.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.embed_link IS 'tiktok.com embed URL.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.cover_image_url IS 'Cover image link as TikTok last handed it out; it expires 6 hours after cover_fetched_at (tthub_reporting.videos shows it only until then).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.cover_fetched_at IS 'When TikTok handed out cover_image_url.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.view_count IS 'Views at the latest observation.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.like_count IS 'Likes at the latest observation.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.comment_count IS 'Comments at the latest observation.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.share_count IS 'Shares at the latest observation.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.first_seen_at IS 'When tthub first saw the video.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.last_seen_at IS 'When TikTok last returned the video (video/list or video/query).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.last_listed_at IS 'When a video/list page last returned it (a full pass that does not notices it is gone).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.last_observed_at IS 'Time of its latest observation (tthub.video_observations).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.videos.removed_at IS 'When tthub noticed the video was deleted or made private (NULL: public); cleared if it comes back.'$ddl$;
  EXECUTE $ddl$CREATE TABLE @extschema@.video_observations (
  store_code    varchar(50)  NOT NULL,
  video_id      varchar(64)  NOT NULL,
  observed_at   timestamptz  NOT NULL,
  open_id       varchar(128) NOT NULL,
  view_count    bigint CHECK (view_count >= 0),
  like_count    bigint CHECK (like_count >= 0),
  comment_count bigint CHECK (comment_count >= 0),
  share_count   bigint CHECK (share_count >= 0)
) PARTITION BY RANGE (observed_at)$ddl$;
  EXECUTE $ddl$COMMENT ON TABLE @extschema@.video_observations IS
  'Each observation of a video''s counters (video/list or video/query), partitioned by UTC day; days older than tthub.observation_retention are dropped whole.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.store_code IS 'Store of the video''s account.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.video_id IS 'TikTok video id.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.observed_at IS 'When TikTok''s answer arrived.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.open_id IS 'Account that posted the video.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.view_count IS 'Views.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.like_count IS 'Likes.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.comment_count IS 'Comments.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.video_observations.share_count IS 'Shares.'$ddl$;
  EXECUTE $ddl$CREATE SCHEMA tthub_observations$ddl$;
  EXECUTE $ddl$COMMENT ON SCHEMA tthub_observations IS
  'The daily partitions of tthub.video_observations (video_observations_YYYYMMDD, UTC days), made and dropped by the worker. Read the parent table.'$ddl$;
  EXECUTE $ddl$REVOKE ALL ON SCHEMA tthub_observations FROM PUBLIC$ddl$;
  EXECUTE $ddl$CREATE TABLE @extschema@.account_refresh (
  store_code      varchar(50)  NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  open_id         varchar(128) NOT NULL,
  discovered_at   timestamptz,
  listed_at       timestamptz,
  list_started_at timestamptz,
  list_cursor     bigint,
  user_info_at    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, open_id)
)$ddl$;
  EXECUTE $ddl$COMMENT ON TABLE @extschema@.account_refresh IS
  'Per account: when the refresh last discovered new videos, finished a full video/list pass (which notices deletions) and read the account''s counters.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.store_code IS 'Store of the account.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.open_id IS 'TikTok account.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.discovered_at IS 'When video/list was last read down to the first known video.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.listed_at IS 'When the last full video/list pass ended (NULL: one is due now, e.g. after video/query refused an id).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.list_started_at IS 'When the full pass in progress started (NULL: none in progress).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.list_cursor IS 'Where the full pass in progress continues (video/list cursor).'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.user_info_at IS 'When the account''s counters (user/info) were last read by a refresh.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.account_refresh.updated_at IS 'Last change.'$ddl$;
  EXECUTE $ddl$CREATE TABLE @extschema@.refresh_calls (
  store_code varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  call_date  date        NOT NULL,
  tier       text        NOT NULL CHECK (tier IN ('fresh', 'young', 'old')),
  calls      bigint      NOT NULL DEFAULT 0 CHECK (calls >= 0),
  PRIMARY KEY (store_code, call_date, tier)
)$ddl$;
  EXECUTE $ddl$COMMENT ON TABLE @extschema@.refresh_calls IS
  'TikTok requests spent per store, UTC day and tier: video/query by the tier of the ids it asked for, discovery (a list call, or a user/info read standing in for one) for the fresh tier, other user/info reads for the account''s fastest tier, the full video/list pass for the old tier. Kept as long as observations.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.refresh_calls.store_code IS 'Store.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.refresh_calls.call_date IS 'UTC day of the calls.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.refresh_calls.tier IS 'fresh, young or old.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.refresh_calls.calls IS 'Requests sent (a retried request counts once).'$ddl$;
  EXECUTE $ddl$GRANT SELECT ON @extschema@.videos, @extschema@.video_observations, @extschema@.account_refresh,
                @extschema@.refresh_calls TO tthub_admin$ddl$;
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.videos', '');
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.account_refresh', '');
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.refresh_calls', '');
END
$upgrade$;

-- Refresh jobs are not for a snapshot day (tables/30-queue.sql).
DO $upgrade$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
              WHERE attrelid = '@extschema@.sync_jobs'::regclass AND attname = 'snapshot_date' AND attnotnull) THEN
    EXECUTE 'ALTER TABLE @extschema@.sync_jobs ALTER COLUMN snapshot_date DROP NOT NULL';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                  WHERE conrelid = '@extschema@.sync_jobs'::regclass AND conname = 'sync_jobs_snapshot_date_check') THEN
    EXECUTE $ddl$ALTER TABLE @extschema@.sync_jobs ADD CONSTRAINT sync_jobs_snapshot_date_check
                   CHECK ((job_type = 'refresh') = (snapshot_date IS NULL))$ddl$;
  END IF;
  EXECUTE $ddl$CREATE UNIQUE INDEX IF NOT EXISTS sync_jobs_one_refresh_idx ON @extschema@.sync_jobs (store_code)
                 WHERE state IN ('queued', 'running') AND job_type = 'refresh'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.sync_jobs.snapshot_date IS
                 'Snapshot day the job writes, fixed when it is enqueued; NULL for a refresh job (job_type refresh), which writes under the day of each observation.'$ddl$;
  EXECUTE $ddl$COMMENT ON COLUMN @extschema@.sync_jobs.job_type IS
                 'daily_sync (pg_cron), manual_sync (tthub_sync), first_sync (a new connection) or refresh (tthub_enqueue_due: what the refresh planner chose for the store).'$ddl$;
END
$upgrade$;

-- 0.4 repeated each video's metadata in every video_daily row: its latest row becomes
-- the video's row in videos (first seen: its first row). removed_at stays NULL until
-- the first full video/list pass, due at once (no account_refresh row yet), says
-- otherwise. Only where video_daily's rows are: not on a Citus worker node, whose
-- tables are shards the coordinator reads.
DO $upgrade$
BEGIN
  IF @extschema@._citus_node_role() = 'worker' THEN
    RETURN;
  END IF;
  INSERT INTO @extschema@.videos AS v (store_code, video_id, open_id, title, description, create_time, duration,
                                       share_url, cover_image_url, cover_fetched_at, view_count, like_count,
                                       comment_count, share_count, first_seen_at, last_seen_at, last_listed_at,
                                       last_observed_at)
  SELECT l.store_code, l.video_id, l.open_id, l.title, l.description, l.create_time, l.duration, l.share_url,
         l.cover_image_url, CASE WHEN l.cover_image_url IS NOT NULL THEN l.updated_at END,
         l.view_count, l.like_count, l.comment_count, l.share_count, f.first_seen, l.updated_at, l.updated_at,
         l.updated_at
    FROM (SELECT DISTINCT ON (d.store_code, d.video_id) d.*
            FROM @extschema@.video_daily d
           ORDER BY d.store_code, d.video_id, d.snapshot_date DESC) l
    JOIN (SELECT d.store_code, d.video_id, min(d.created_at) AS first_seen
            FROM @extschema@.video_daily d GROUP BY d.store_code, d.video_id) f
      ON f.store_code = l.store_code AND f.video_id = l.video_id
  ON CONFLICT (store_code, video_id) DO NOTHING;
END
$upgrade$;
