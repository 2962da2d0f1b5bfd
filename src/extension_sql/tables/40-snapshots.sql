-- Snapshots: one row per account (user_daily) and per video (video_daily) and day, the
-- completeness of each account's day (sync_ledger), and one log row per sync attempt
-- (sync_logs).
CREATE TYPE @extschema@.sync_status AS ENUM ('RUNNING', 'SUCCESS', 'FAILED', 'SKIPPED');
COMMENT ON TYPE @extschema@.sync_status IS
  'Outcome of one sync attempt. SKIPPED: another sync of the same store was running; the job went back to the queue to run after it (or tthub_sync_now returned busy).';

CREATE TABLE @extschema@.user_daily (
  store_code      varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code),
  open_id         varchar(128) NOT NULL,
  snapshot_date   date        NOT NULL,
  display_name    text,
  avatar_url      text,
  follower_count  bigint CHECK (follower_count >= 0),
  following_count bigint CHECK (following_count >= 0),
  likes_count     bigint CHECK (likes_count >= 0),
  video_count     bigint CHECK (video_count >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, open_id, snapshot_date)
);
COMMENT ON TABLE @extschema@.user_daily IS 'One snapshot of each account''s statistics per day. A re-run of the day updates the row.';
COMMENT ON COLUMN @extschema@.user_daily.store_code IS 'Store of the account.';
COMMENT ON COLUMN @extschema@.user_daily.open_id IS 'TikTok account (open_id).';
COMMENT ON COLUMN @extschema@.user_daily.snapshot_date IS 'Calendar day of the snapshot in tthub.snapshot_timezone.';
COMMENT ON COLUMN @extschema@.user_daily.display_name IS 'Display name on that day.';
COMMENT ON COLUMN @extschema@.user_daily.avatar_url IS 'Avatar URL on that day (expires at TikTok''s CDN).';
COMMENT ON COLUMN @extschema@.user_daily.follower_count IS 'Followers (scope user.info.stats; NULL when not granted).';
COMMENT ON COLUMN @extschema@.user_daily.following_count IS 'Accounts followed (user.info.stats).';
COMMENT ON COLUMN @extschema@.user_daily.likes_count IS 'Likes received across all videos (user.info.stats).';
COMMENT ON COLUMN @extschema@.user_daily.video_count IS 'Publicly posted videos (user.info.stats).';
COMMENT ON COLUMN @extschema@.user_daily.created_at IS 'When the day''s row was first written.';
COMMENT ON COLUMN @extschema@.user_daily.updated_at IS 'When the day''s row was last written (a re-run moves it).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.user_daily', '');

CREATE TABLE @extschema@.video_daily (
  store_code      varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code),
  video_id        varchar(64) NOT NULL,
  snapshot_date   date        NOT NULL,
  open_id         varchar(128) NOT NULL,
  title           text,
  description     text,
  cover_image_url text,
  share_url       text,
  create_time     timestamptz,
  duration        integer CHECK (duration >= 0),
  view_count      bigint CHECK (view_count >= 0),
  like_count      bigint CHECK (like_count >= 0),
  comment_count   bigint CHECK (comment_count >= 0),
  share_count     bigint CHECK (share_count >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, video_id, snapshot_date)
);
CREATE INDEX video_daily_store_date_idx ON @extschema@.video_daily (store_code, snapshot_date);
COMMENT ON TABLE @extschema@.video_daily IS 'One snapshot of each public video''s statistics per day. A re-run of the day updates the row.';
COMMENT ON COLUMN @extschema@.video_daily.store_code IS 'Store of the video''s account.';
COMMENT ON COLUMN @extschema@.video_daily.video_id IS 'TikTok video id, kept as text (ids exceed bigint).';
COMMENT ON COLUMN @extschema@.video_daily.snapshot_date IS 'Calendar day of the snapshot in tthub.snapshot_timezone.';
COMMENT ON COLUMN @extschema@.video_daily.open_id IS 'Account that posted the video.';
COMMENT ON COLUMN @extschema@.video_daily.title IS 'Video title (max 150 characters).';
COMMENT ON COLUMN @extschema@.video_daily.description IS 'Video description (video_description, max 150 characters).';
COMMENT ON COLUMN @extschema@.video_daily.cover_image_url IS 'Cover image URL; TikTok''s link expires after 6 hours.';
COMMENT ON COLUMN @extschema@.video_daily.share_url IS 'Shareable link to the video.';
COMMENT ON COLUMN @extschema@.video_daily.create_time IS 'When the video was posted.';
COMMENT ON COLUMN @extschema@.video_daily.duration IS 'Length in seconds.';
COMMENT ON COLUMN @extschema@.video_daily.view_count IS 'Views on that day.';
COMMENT ON COLUMN @extschema@.video_daily.like_count IS 'Likes on that day.';
COMMENT ON COLUMN @extschema@.video_daily.comment_count IS 'Comments on that day.';
COMMENT ON COLUMN @extschema@.video_daily.share_count IS 'Shares on that day.';
COMMENT ON COLUMN @extschema@.video_daily.created_at IS 'When the day''s row was first written.';
COMMENT ON COLUMN @extschema@.video_daily.updated_at IS 'When the day''s row was last written (a re-run moves it).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.video_daily', '');

CREATE TABLE @extschema@.sync_ledger (
  store_code    varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  open_id       varchar(128) NOT NULL,
  snapshot_date date        NOT NULL,
  job_id        bigint,
  pages_fetched integer     NOT NULL DEFAULT 0,
  videos_seen   bigint      NOT NULL DEFAULT 0,
  complete      boolean     NOT NULL DEFAULT false,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  next_cursor   bigint,
  PRIMARY KEY (store_code, open_id, snapshot_date)
);
COMMENT ON TABLE @extschema@.sync_ledger IS 'Completeness of each account''s snapshot day: complete is true only when paging reached has_more = false.';
COMMENT ON COLUMN @extschema@.sync_ledger.store_code IS 'Store of the account.';
COMMENT ON COLUMN @extschema@.sync_ledger.open_id IS 'TikTok account.';
COMMENT ON COLUMN @extschema@.sync_ledger.snapshot_date IS 'Snapshot day.';
COMMENT ON COLUMN @extschema@.sync_ledger.job_id IS 'Job of the latest attempt.';
COMMENT ON COLUMN @extschema@.sync_ledger.pages_fetched IS 'Pages of videos fetched by the latest attempt.';
COMMENT ON COLUMN @extschema@.sync_ledger.videos_seen IS 'Videos written by the latest attempt.';
COMMENT ON COLUMN @extschema@.sync_ledger.complete IS 'True when the latest attempt paged to the end (has_more = false).';
COMMENT ON COLUMN @extschema@.sync_ledger.started_at IS 'When the latest attempt started.';
COMMENT ON COLUMN @extschema@.sync_ledger.finished_at IS 'When it completed (NULL while partial).';
COMMENT ON COLUMN @extschema@.sync_ledger.updated_at IS 'Last page written.';
COMMENT ON COLUMN @extschema@.sync_ledger.next_cursor IS
  'Checkpoint: TikTok''s video/list cursor for the page after the last one committed (written with that page), or NULL when paging has not started or reached the end. A later attempt of the same account and day continues from it; complete becomes true only when paging reached has_more = false.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_ledger', '');

CREATE TABLE @extschema@.sync_logs (
  store_code        varchar(50) NOT NULL,
  log_id            bigserial   NOT NULL,
  job_id            bigint,
  open_id           varchar(128),
  job_type          text        NOT NULL,
  status            @extschema@.sync_status NOT NULL,
  message           text,
  records_processed bigint      NOT NULL DEFAULT 0,
  http_status       integer,
  started_at        timestamptz NOT NULL DEFAULT now(),
  completed_at      timestamptz,
  request_retries   integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (store_code, log_id)
);
CREATE INDEX sync_logs_started_idx ON @extschema@.sync_logs (started_at);
COMMENT ON TABLE @extschema@.sync_logs IS 'One row per sync attempt. Never holds a token, secret or token-bearing URL.';
COMMENT ON COLUMN @extschema@.sync_logs.store_code IS 'Store synced.';
COMMENT ON COLUMN @extschema@.sync_logs.log_id IS 'Attempt number (increasing).';
COMMENT ON COLUMN @extschema@.sync_logs.job_id IS 'The sync job this attempt belongs to, if any.';
COMMENT ON COLUMN @extschema@.sync_logs.open_id IS 'Account synced, when the attempt concerns one account.';
COMMENT ON COLUMN @extschema@.sync_logs.job_type IS 'What ran: daily_sync, manual_sync, token_refresh, ...';
COMMENT ON COLUMN @extschema@.sync_logs.status IS 'RUNNING, SUCCESS, FAILED or SKIPPED.';
COMMENT ON COLUMN @extschema@.sync_logs.message IS 'What happened, for people; TikTok''s error code and log_id when it failed there.';
COMMENT ON COLUMN @extschema@.sync_logs.records_processed IS 'Snapshot rows written.';
COMMENT ON COLUMN @extschema@.sync_logs.http_status IS 'HTTP status of the last TikTok response, if any.';
COMMENT ON COLUMN @extschema@.sync_logs.started_at IS 'When the attempt started.';
COMMENT ON COLUMN @extschema@.sync_logs.completed_at IS 'When it ended (NULL while running).';
COMMENT ON COLUMN @extschema@.sync_logs.request_retries IS
  'TikTok requests of this attempt that failed transiently (network error, timeout, 5xx, malformed body) and were sent again in place (tthub.request_retries each).';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_logs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_logs_log_id_seq', '');

-- Admins read snapshots, the ledger and the logs; readers read them through tthub_reporting.
GRANT SELECT ON @extschema@.user_daily, @extschema@.video_daily, @extschema@.sync_ledger, @extschema@.sync_logs
  TO tthub_admin;
