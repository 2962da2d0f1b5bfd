------------------------------------------------------------------------------
-- Videos and their intraday observations (issue #19).
------------------------------------------------------------------------------

-- One row per video: what TikTok says about it (metadata, the latest counters),
-- when tthub first and last saw it, and when it stopped being public.
CREATE TABLE @extschema@.videos (
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
);
-- The planner's lookup: an account's videos still public, least recently observed first.
CREATE INDEX videos_due_idx ON @extschema@.videos (store_code, open_id, last_observed_at) WHERE removed_at IS NULL;
-- The fresh tier's lookup: an account's newest public videos.
CREATE INDEX videos_fresh_idx ON @extschema@.videos (store_code, open_id, create_time) WHERE removed_at IS NULL;
COMMENT ON TABLE @extschema@.videos IS
  'One row per video: its metadata, latest counters, when tthub first and last saw it and when it stopped being public. Written by every sync and refresh.';
COMMENT ON COLUMN @extschema@.videos.store_code IS 'Store of the video''s account.';
COMMENT ON COLUMN @extschema@.videos.video_id IS 'TikTok video id, kept as text (ids exceed bigint).';
COMMENT ON COLUMN @extschema@.videos.open_id IS 'Account that posted the video.';
COMMENT ON COLUMN @extschema@.videos.title IS 'Video title (max 150 characters).';
COMMENT ON COLUMN @extschema@.videos.description IS 'Video description (video_description, max 150 characters).';
COMMENT ON COLUMN @extschema@.videos.create_time IS 'When the video was posted; its age decides its refresh tier.';
COMMENT ON COLUMN @extschema@.videos.duration IS 'Length in seconds.';
COMMENT ON COLUMN @extschema@.videos.height IS 'Height in pixels.';
COMMENT ON COLUMN @extschema@.videos.width IS 'Width in pixels.';
COMMENT ON COLUMN @extschema@.videos.share_url IS 'Shareable link.';
COMMENT ON COLUMN @extschema@.videos.embed_link IS 'tiktok.com embed URL.';
COMMENT ON COLUMN @extschema@.videos.cover_image_url IS 'Cover image link as TikTok last handed it out; it expires 6 hours after cover_fetched_at (tthub_reporting.videos shows it only until then).';
COMMENT ON COLUMN @extschema@.videos.cover_fetched_at IS 'When TikTok handed out cover_image_url.';
COMMENT ON COLUMN @extschema@.videos.view_count IS 'Views at the latest observation.';
COMMENT ON COLUMN @extschema@.videos.like_count IS 'Likes at the latest observation.';
COMMENT ON COLUMN @extschema@.videos.comment_count IS 'Comments at the latest observation.';
COMMENT ON COLUMN @extschema@.videos.share_count IS 'Shares at the latest observation.';
COMMENT ON COLUMN @extschema@.videos.first_seen_at IS 'When tthub first saw the video.';
COMMENT ON COLUMN @extschema@.videos.last_seen_at IS 'When TikTok last returned the video (video/list or video/query).';
COMMENT ON COLUMN @extschema@.videos.last_listed_at IS 'When a video/list page last returned it (a full pass that does not notices it is gone).';
COMMENT ON COLUMN @extschema@.videos.last_observed_at IS 'Time of its latest observation (tthub.video_observations).';
COMMENT ON COLUMN @extschema@.videos.removed_at IS 'When tthub noticed the video was deleted or made private (NULL: public); cleared if it comes back.';

-- The counters of a video each time tthub observed them. Partitioned by UTC day of
-- observed_at: the worker creates each day's partition (schema tthub_observations)
-- ahead of time and drops whole days past tthub.observation_retention, so old rows
-- never cost a mass DELETE or the VACUUM after it. Each partition has the primary key
-- (store_code, video_id, observed_at) of its own, not inherited from here: pg_dump
-- restores a partition of an extension's table with the indexes it dumped, and an
-- inherited one would be created twice.
CREATE TABLE @extschema@.video_observations (
  store_code    varchar(50)  NOT NULL,
  video_id      varchar(64)  NOT NULL,
  observed_at   timestamptz  NOT NULL,
  open_id       varchar(128) NOT NULL,
  view_count    bigint CHECK (view_count >= 0),
  like_count    bigint CHECK (like_count >= 0),
  comment_count bigint CHECK (comment_count >= 0),
  share_count   bigint CHECK (share_count >= 0)
) PARTITION BY RANGE (observed_at);
COMMENT ON TABLE @extschema@.video_observations IS
  'Each observation of a video''s counters (video/list or video/query), partitioned by UTC day; days older than tthub.observation_retention are dropped whole.';
COMMENT ON COLUMN @extschema@.video_observations.store_code IS 'Store of the video''s account.';
COMMENT ON COLUMN @extschema@.video_observations.video_id IS 'TikTok video id.';
COMMENT ON COLUMN @extschema@.video_observations.observed_at IS 'When TikTok''s answer arrived.';
COMMENT ON COLUMN @extschema@.video_observations.open_id IS 'Account that posted the video.';
COMMENT ON COLUMN @extschema@.video_observations.view_count IS 'Views.';
COMMENT ON COLUMN @extschema@.video_observations.like_count IS 'Likes.';
COMMENT ON COLUMN @extschema@.video_observations.comment_count IS 'Comments.';
COMMENT ON COLUMN @extschema@.video_observations.share_count IS 'Shares.';

CREATE SCHEMA tthub_observations;
COMMENT ON SCHEMA tthub_observations IS
  'The daily partitions of tthub.video_observations (video_observations_YYYYMMDD, UTC days), made and dropped by the worker. Read the parent table.';
REVOKE ALL ON SCHEMA tthub_observations FROM PUBLIC;

-- Where each account's refresh stands: discovery (video/list until a known video),
-- the full video/list pass that notices deletions (resumable at its cursor) and the
-- account's own counters (user/info).
CREATE TABLE @extschema@.account_refresh (
  store_code      varchar(50)  NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  open_id         varchar(128) NOT NULL,
  discovered_at   timestamptz,
  listed_at       timestamptz,
  list_started_at timestamptz,
  list_cursor     bigint,
  user_info_at    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, open_id)
);
COMMENT ON TABLE @extschema@.account_refresh IS
  'Per account: when the refresh last discovered new videos, finished a full video/list pass (which notices deletions) and read the account''s counters.';
COMMENT ON COLUMN @extschema@.account_refresh.store_code IS 'Store of the account.';
COMMENT ON COLUMN @extschema@.account_refresh.open_id IS 'TikTok account.';
COMMENT ON COLUMN @extschema@.account_refresh.discovered_at IS 'When video/list was last read down to the first known video.';
COMMENT ON COLUMN @extschema@.account_refresh.listed_at IS 'When the last full video/list pass ended (NULL: one is due now, e.g. after video/query refused an id).';
COMMENT ON COLUMN @extschema@.account_refresh.list_started_at IS 'When the full pass in progress started (NULL: none in progress).';
COMMENT ON COLUMN @extschema@.account_refresh.list_cursor IS 'Where the full pass in progress continues (video/list cursor).';
COMMENT ON COLUMN @extschema@.account_refresh.user_info_at IS 'When the account''s counters (user/info) were last read by a refresh.';
COMMENT ON COLUMN @extschema@.account_refresh.updated_at IS 'Last change.';

-- TikTok calls the refresh spent, per store, day and tier (what refresh_freshness shows).
CREATE TABLE @extschema@.refresh_calls (
  store_code varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  call_date  date        NOT NULL,
  tier       text        NOT NULL CHECK (tier IN ('fresh', 'young', 'old')),
  calls      bigint      NOT NULL DEFAULT 0 CHECK (calls >= 0),
  PRIMARY KEY (store_code, call_date, tier)
);
COMMENT ON TABLE @extschema@.refresh_calls IS
  'TikTok requests spent per store, UTC day and tier: video/query by the tier of the ids it asked for, discovery (a list call, or a user/info read standing in for one) for the fresh tier, other user/info reads for the account''s fastest tier, the full video/list pass for the old tier. Kept as long as observations.';
COMMENT ON COLUMN @extschema@.refresh_calls.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.refresh_calls.call_date IS 'UTC day of the calls.';
COMMENT ON COLUMN @extschema@.refresh_calls.tier IS 'fresh, young or old.';
COMMENT ON COLUMN @extschema@.refresh_calls.calls IS 'Requests sent (a retried request counts once).';

GRANT SELECT ON @extschema@.videos, @extschema@.video_observations, @extschema@.account_refresh,
                @extschema@.refresh_calls TO tthub_admin;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.videos', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.account_refresh', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refresh_calls', '');
