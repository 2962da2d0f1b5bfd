-- tthub 0.1: schema, roles, token encryption, store validation.
\echo Use "CREATE EXTENSION tthub" to load this file. \quit

------------------------------------------------------------------------------
-- Roles (cluster-wide, so created only when absent and never dropped with the
-- extension).
------------------------------------------------------------------------------
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tthub_admin') THEN
    CREATE ROLE tthub_admin NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tthub_reader') THEN
    CREATE ROLE tthub_reader NOLOGIN;
  END IF;
END
$roles$;

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO tthub_admin, tthub_reader;

------------------------------------------------------------------------------
-- Validation and token encryption (C++)
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.check_store_code(store_code text) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'tthub_check_store_code';
COMMENT ON FUNCTION @extschema@.check_store_code(text) IS
  'True for a valid store code (1-50 of a-z, 0-9, _ and -); raises 22023 with the rule otherwise.';

CREATE FUNCTION @extschema@.tthub_encrypt_token(plaintext text, context text DEFAULT '')
  RETURNS bytea LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'tthub_encrypt_token';
COMMENT ON FUNCTION @extschema@.tthub_encrypt_token(text, text) IS
  'AES-256-GCM encrypts a token with the current key; context is authenticated data (use tthub.token_context).';

CREATE FUNCTION @extschema@.tthub_decrypt_token(ciphertext bytea, context text DEFAULT '')
  RETURNS text LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'tthub_decrypt_token';
COMMENT ON FUNCTION @extschema@.tthub_decrypt_token(bytea, text) IS
  'Decrypts a token envelope (current or previous key). Superusers only; fails with TH001 on any tampering.';

CREATE FUNCTION @extschema@._token_key_is_current(ciphertext bytea) RETURNS boolean
  LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'tthub_token_key_is_current';
COMMENT ON FUNCTION @extschema@._token_key_is_current(bytea) IS
  'Internal: whether an envelope names the current key.';

CREATE FUNCTION @extschema@._reencrypt_token(ciphertext bytea, context text) RETURNS bytea
  LANGUAGE c VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'tthub_reencrypt_token';
COMMENT ON FUNCTION @extschema@._reencrypt_token(bytea, text) IS
  'Internal: decrypts with the current or previous key and encrypts again with the current key.';

CREATE FUNCTION @extschema@.token_context(store_code text, open_id text, token_kind text)
  RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN store_code || '/' || open_id || '/' || token_kind;
COMMENT ON FUNCTION @extschema@.token_context(text, text, text) IS
  'The authenticated context of a stored token: a ciphertext copied to another store, account or column fails to decrypt.';

REVOKE ALL ON FUNCTION @extschema@.tthub_encrypt_token(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_decrypt_token(bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._token_key_is_current(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._reencrypt_token(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_encrypt_token(text, text) TO tthub_admin;

------------------------------------------------------------------------------
-- Types
------------------------------------------------------------------------------
CREATE TYPE @extschema@.account_status AS ENUM ('CONNECTED', 'NEED_RECONNECT', 'ERROR', 'DISABLED');
COMMENT ON TYPE @extschema@.account_status IS
  'CONNECTED: synced daily. NEED_RECONNECT: token revoked/expired or scope missing; the owner must reconnect. ERROR: last sync failed. DISABLED: disconnected by an admin.';
CREATE TYPE @extschema@.sync_status AS ENUM ('RUNNING', 'SUCCESS', 'FAILED', 'SKIPPED');
COMMENT ON TYPE @extschema@.sync_status IS
  'Outcome of one sync attempt. SKIPPED: another sync of the same store was already running.';

------------------------------------------------------------------------------
-- Tables. Every table holding store data is keyed by store_code and every key
-- includes it, so the tables can be distributed by store_code on Citus as they are.
------------------------------------------------------------------------------
CREATE TABLE @extschema@.stores (
  store_code  varchar(50) PRIMARY KEY CONSTRAINT stores_store_code_valid CHECK (@extschema@.check_store_code(store_code)),
  store_name  text        NOT NULL,
  pic_name    text,
  pic_contact text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.stores IS 'Stores (shops/brands) whose TikTok accounts tthub reports on.';
COMMENT ON COLUMN @extschema@.stores.store_code IS 'Stable store identifier: 1-50 of a-z, 0-9, _ and -. The distribution key on Citus.';
COMMENT ON COLUMN @extschema@.stores.store_name IS 'Display name of the store.';
COMMENT ON COLUMN @extschema@.stores.pic_name IS 'Person in charge of the store''s TikTok presence.';
COMMENT ON COLUMN @extschema@.stores.pic_contact IS 'How to reach the person in charge (e-mail, phone).';
COMMENT ON COLUMN @extschema@.stores.created_at IS 'When the store was added.';
COMMENT ON COLUMN @extschema@.stores.updated_at IS 'When the store row last changed.';

CREATE TABLE @extschema@.store_accounts (
  store_code               varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE ON UPDATE CASCADE,
  open_id                  varchar(128) NOT NULL,
  display_name             text,
  avatar_url               text,
  access_token_enc         bytea,
  refresh_token_enc        bytea,
  token_expires_at         timestamptz,
  refresh_token_expires_at timestamptz,
  scope                    text,
  status                   @extschema@.account_status NOT NULL DEFAULT 'CONNECTED',
  status_reason            text,
  last_sync_at             timestamptz,
  connected_at             timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, open_id)
);
COMMENT ON TABLE @extschema@.store_accounts IS 'TikTok accounts connected to a store, with their encrypted tokens. Token columns are readable by no tthub role.';
COMMENT ON COLUMN @extschema@.store_accounts.store_code IS 'Store the account belongs to.';
COMMENT ON COLUMN @extschema@.store_accounts.open_id IS 'TikTok''s id of the user within this app (stable account key).';
COMMENT ON COLUMN @extschema@.store_accounts.display_name IS 'Profile display name, refreshed at each sync.';
COMMENT ON COLUMN @extschema@.store_accounts.avatar_url IS 'Profile avatar URL, refreshed at each sync (TikTok CDN links expire).';
COMMENT ON COLUMN @extschema@.store_accounts.access_token_enc IS 'Access token, AES-256-GCM envelope (context tthub.token_context(store_code, open_id, ''access_token'')).';
COMMENT ON COLUMN @extschema@.store_accounts.refresh_token_enc IS 'Refresh token, AES-256-GCM envelope (context tthub.token_context(store_code, open_id, ''refresh_token'')).';
COMMENT ON COLUMN @extschema@.store_accounts.token_expires_at IS 'When the access token expires (now + expires_in of the last token response).';
COMMENT ON COLUMN @extschema@.store_accounts.refresh_token_expires_at IS 'When the refresh token expires (now + refresh_expires_in); after it the owner must reconnect.';
COMMENT ON COLUMN @extschema@.store_accounts.scope IS 'Comma-separated scopes the user granted.';
COMMENT ON COLUMN @extschema@.store_accounts.status IS 'Connection state; only CONNECTED accounts are synced.';
COMMENT ON COLUMN @extschema@.store_accounts.status_reason IS 'Why the account left CONNECTED (never contains a token).';
COMMENT ON COLUMN @extschema@.store_accounts.last_sync_at IS 'When a sync of this account last succeeded.';
COMMENT ON COLUMN @extschema@.store_accounts.connected_at IS 'When the account was (re)connected.';
COMMENT ON COLUMN @extschema@.store_accounts.updated_at IS 'When the row last changed.';

CREATE TABLE @extschema@.user_daily (
  store_code      varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON UPDATE CASCADE,
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

CREATE TABLE @extschema@.video_daily (
  store_code      varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON UPDATE CASCADE,
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

-- Keep data in pg_dump (extension-owned tables are otherwise dumped empty).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.stores', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.store_accounts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.user_daily', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.video_daily', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_logs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_logs_log_id_seq', '');

------------------------------------------------------------------------------
-- The account view BI tools read (no token columns).
------------------------------------------------------------------------------
CREATE VIEW @extschema@.accounts AS
  SELECT store_code, open_id, display_name, avatar_url, scope, status, status_reason,
         token_expires_at, refresh_token_expires_at, last_sync_at, connected_at, updated_at
    FROM @extschema@.store_accounts;
COMMENT ON VIEW @extschema@.accounts IS 'Connected TikTok accounts without their token columns.';

------------------------------------------------------------------------------
-- Key rotation
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.tthub_rotate_token_key() RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  rewritten bigint;
BEGIN
  -- Lock every account row for the whole rotation: a concurrent token refresh must
  -- not write a token this transaction then overwrites.
  PERFORM 1 FROM @extschema@.store_accounts FOR UPDATE;
  SELECT count(*) FILTER (WHERE access_token_enc IS NOT NULL AND NOT @extschema@._token_key_is_current(access_token_enc))
       + count(*) FILTER (WHERE refresh_token_enc IS NOT NULL AND NOT @extschema@._token_key_is_current(refresh_token_enc))
    INTO rewritten
    FROM @extschema@.store_accounts;
  UPDATE @extschema@.store_accounts a
     SET access_token_enc = CASE WHEN @extschema@._token_key_is_current(a.access_token_enc) THEN a.access_token_enc
                                 ELSE @extschema@._reencrypt_token(a.access_token_enc, @extschema@.token_context(a.store_code, a.open_id, 'access_token')) END,
         refresh_token_enc = CASE WHEN @extschema@._token_key_is_current(a.refresh_token_enc) THEN a.refresh_token_enc
                                  ELSE @extschema@._reencrypt_token(a.refresh_token_enc, @extschema@.token_context(a.store_code, a.open_id, 'refresh_token')) END
   WHERE NOT @extschema@._token_key_is_current(a.access_token_enc)
      OR NOT @extschema@._token_key_is_current(a.refresh_token_enc);
  RETURN rewritten;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.tthub_rotate_token_key() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.tthub_rotate_token_key() IS
  'Re-encrypts every stored token with the current key (in one transaction); returns how many tokens were rewritten. Superusers only.';

------------------------------------------------------------------------------
-- Privileges: readers see snapshots, logs and accounts but never a token column.
------------------------------------------------------------------------------
GRANT SELECT ON @extschema@.stores, @extschema@.user_daily, @extschema@.video_daily,
                @extschema@.sync_logs, @extschema@.accounts TO tthub_reader, tthub_admin;
GRANT SELECT (store_code, open_id, display_name, avatar_url, token_expires_at, refresh_token_expires_at,
              scope, status, status_reason, last_sync_at, connected_at, updated_at)
   ON @extschema@.store_accounts TO tthub_reader, tthub_admin;
GRANT INSERT, UPDATE, DELETE ON @extschema@.stores TO tthub_admin;
