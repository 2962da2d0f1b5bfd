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

------------------------------------------------------------------------------
-- Sync engine: job queue, completeness ledger, SQL interface, views.
------------------------------------------------------------------------------
CREATE TYPE @extschema@.job_state AS ENUM ('queued', 'running', 'done', 'failed', 'dead', 'skipped');
COMMENT ON TYPE @extschema@.job_state IS
  'queued: waiting for run_after. running: leased by a worker. done: every account synced or finally failed (see sync_logs). failed: no account could be synced and retrying cannot help. dead: retries exhausted. skipped: another sync of the store was running.';

CREATE TABLE @extschema@.sync_jobs (
  store_code       varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE ON UPDATE CASCADE,
  job_id           bigserial   NOT NULL,
  job_type         text        NOT NULL DEFAULT 'daily_sync',
  snapshot_date    date        NOT NULL,
  state            @extschema@.job_state NOT NULL DEFAULT 'queued',
  attempts         integer     NOT NULL DEFAULT 0,
  run_after        timestamptz NOT NULL DEFAULT now(),
  lease_until      timestamptz,
  worker_pid       integer,
  current_open_id  varchar(128),
  pages_fetched    integer     NOT NULL DEFAULT 0,
  videos_seen      bigint      NOT NULL DEFAULT 0,
  last_error       text,
  last_http_status integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, job_id)
);
-- One pending job per store and day: enqueuing again returns it (tthub_sync).
CREATE UNIQUE INDEX sync_jobs_one_pending_idx ON @extschema@.sync_jobs (store_code, snapshot_date)
  WHERE state IN ('queued', 'running');
CREATE INDEX sync_jobs_queued_idx ON @extschema@.sync_jobs (run_after) WHERE state = 'queued';
CREATE INDEX sync_jobs_finished_idx ON @extschema@.sync_jobs (finished_at);
COMMENT ON TABLE @extschema@.sync_jobs IS 'The sync job queue: claimed by the worker with FOR UPDATE SKIP LOCKED and held under a lease.';
COMMENT ON COLUMN @extschema@.sync_jobs.store_code IS 'Store to sync (all its CONNECTED accounts).';
COMMENT ON COLUMN @extschema@.sync_jobs.job_id IS 'Job number, as returned by tthub_sync.';
COMMENT ON COLUMN @extschema@.sync_jobs.job_type IS 'daily_sync (pg_cron), manual_sync (tthub_sync) or first_sync (a new connection).';
COMMENT ON COLUMN @extschema@.sync_jobs.snapshot_date IS 'Snapshot day the job writes, fixed when it is enqueued.';
COMMENT ON COLUMN @extschema@.sync_jobs.state IS 'See the type tthub.job_state.';
COMMENT ON COLUMN @extschema@.sync_jobs.attempts IS 'Attempts spent (a 429 spends none).';
COMMENT ON COLUMN @extschema@.sync_jobs.run_after IS 'Not claimed before this time (backoff, rate limit).';
COMMENT ON COLUMN @extschema@.sync_jobs.lease_until IS 'A running job whose lease passed is taken again (its worker died).';
COMMENT ON COLUMN @extschema@.sync_jobs.worker_pid IS 'Process running the job.';
COMMENT ON COLUMN @extschema@.sync_jobs.current_open_id IS 'Account being synced now.';
COMMENT ON COLUMN @extschema@.sync_jobs.pages_fetched IS 'Pages of videos fetched by the current attempt.';
COMMENT ON COLUMN @extschema@.sync_jobs.videos_seen IS 'Videos written by the current attempt.';
COMMENT ON COLUMN @extschema@.sync_jobs.last_error IS 'Why the last attempt failed (never contains a token).';
COMMENT ON COLUMN @extschema@.sync_jobs.last_http_status IS 'HTTP status of the failing TikTok response, if any.';
COMMENT ON COLUMN @extschema@.sync_jobs.created_at IS 'When the job was enqueued.';
COMMENT ON COLUMN @extschema@.sync_jobs.started_at IS 'When the current or last attempt started.';
COMMENT ON COLUMN @extschema@.sync_jobs.finished_at IS 'When the job reached a final state.';
COMMENT ON COLUMN @extschema@.sync_jobs.updated_at IS 'Last change (the heartbeat of a running job).';

CREATE TABLE @extschema@.sync_ledger (
  store_code    varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE ON UPDATE CASCADE,
  open_id       varchar(128) NOT NULL,
  snapshot_date date        NOT NULL,
  job_id        bigint,
  pages_fetched integer     NOT NULL DEFAULT 0,
  videos_seen   bigint      NOT NULL DEFAULT 0,
  complete      boolean     NOT NULL DEFAULT false,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
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

SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_jobs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_jobs_job_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sync_ledger', '');

CREATE FUNCTION @extschema@.snapshot_today() RETURNS date
  LANGUAGE sql STABLE
  RETURN (now() AT TIME ZONE coalesce(nullif(current_setting('tthub.snapshot_timezone', true), ''), 'UTC'))::date;
COMMENT ON FUNCTION @extschema@.snapshot_today() IS 'Today in tthub.snapshot_timezone: the snapshot day a sync enqueued now writes.';

CREATE FUNCTION @extschema@._wake_worker() RETURNS void
  LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'tthub_wake_worker';
COMMENT ON FUNCTION @extschema@._wake_worker() IS 'Internal: wake the sync worker when this transaction commits.';
REVOKE ALL ON FUNCTION @extschema@._wake_worker() FROM PUBLIC;

CREATE FUNCTION @extschema@._enqueue(p_store_code text, p_job_type text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  day date := @extschema@.snapshot_today();
  jid bigint;
BEGIN
  INSERT INTO @extschema@.sync_jobs (store_code, snapshot_date, job_type)
  VALUES (p_store_code, day, p_job_type)
  ON CONFLICT (store_code, snapshot_date) WHERE state IN ('queued', 'running') DO NOTHING
  RETURNING job_id INTO jid;
  IF jid IS NULL THEN
    SELECT job_id INTO jid FROM @extschema@.sync_jobs
     WHERE store_code = p_store_code AND snapshot_date = day AND state IN ('queued', 'running');
  ELSE
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN jid;
END
$$;
COMMENT ON FUNCTION @extschema@._enqueue(text, text) IS 'Internal: enqueue (or find the pending) job of a store for today.';
REVOKE ALL ON FUNCTION @extschema@._enqueue(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.tthub_sync(store_code text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF NOT EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = tthub_sync.store_code) THEN
    RAISE EXCEPTION 'store "%" does not exist', store_code USING ERRCODE = 'no_data_found';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM @extschema@.store_accounts a
                  WHERE a.store_code = tthub_sync.store_code AND a.status = 'CONNECTED') THEN
    RAISE EXCEPTION 'store "%" has no connected TikTok account', store_code
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Connect an account (OAuth) or reconnect one in NEED_RECONNECT; see tthub.accounts.';
  END IF;
  RETURN @extschema@._enqueue(store_code, 'manual_sync');
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_sync(text) IS
  'Enqueue a sync of every CONNECTED account of the store for today and wake the worker; returns the job id (the pending one if there is one).';

CREATE FUNCTION @extschema@.tthub_sync_all() RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  created integer;
BEGIN
  WITH enqueued AS (
    INSERT INTO @extschema@.sync_jobs (store_code, snapshot_date, job_type)
    SELECT DISTINCT a.store_code, @extschema@.snapshot_today(), 'daily_sync'
      FROM @extschema@.store_accounts a WHERE a.status = 'CONNECTED'
    ON CONFLICT (store_code, snapshot_date) WHERE state IN ('queued', 'running') DO NOTHING
    RETURNING 1)
  SELECT count(*) INTO created FROM enqueued;
  IF created > 0 THEN
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN created;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_sync_all() IS
  'Enqueue today''s sync of every store with a CONNECTED account (what pg_cron runs); returns how many jobs were created.';

CREATE FUNCTION @extschema@.tthub_retry_job(job_id bigint) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j @extschema@.sync_jobs;
BEGIN
  SELECT * INTO j FROM @extschema@.sync_jobs s WHERE s.job_id = tthub_retry_job.job_id FOR UPDATE;
  IF NOT FOUND THEN
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

CREATE FUNCTION @extschema@.tthub_import_account(store_code text, open_id text, access_token text,
    refresh_token text, expires_in bigint, refresh_expires_in bigint, scope text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF NOT EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = tthub_import_account.store_code) THEN
    RAISE EXCEPTION 'store "%" does not exist', store_code USING ERRCODE = 'no_data_found';
  END IF;
  IF coalesce(open_id, '') = '' OR length(open_id) > 128 THEN
    RAISE EXCEPTION 'open_id must be 1 to 128 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(access_token, '') = '' OR coalesce(refresh_token, '') = '' THEN
    RAISE EXCEPTION 'both tokens are required' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(expires_in, 0) <= 0 OR coalesce(refresh_expires_in, 0) <= 0 THEN
    RAISE EXCEPTION 'expires_in and refresh_expires_in must be positive seconds' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO @extschema@.store_accounts AS a
    (store_code, open_id, access_token_enc, refresh_token_enc, token_expires_at,
     refresh_token_expires_at, scope, status, status_reason, connected_at, updated_at)
  VALUES (store_code, open_id,
          @extschema@.tthub_encrypt_token(access_token, @extschema@.token_context(store_code, open_id, 'access_token')),
          @extschema@.tthub_encrypt_token(refresh_token, @extschema@.token_context(store_code, open_id, 'refresh_token')),
          now() + make_interval(secs => expires_in), now() + make_interval(secs => refresh_expires_in),
          scope, 'CONNECTED', NULL, now(), now())
  ON CONFLICT ON CONSTRAINT store_accounts_pkey DO UPDATE
     SET access_token_enc = EXCLUDED.access_token_enc, refresh_token_enc = EXCLUDED.refresh_token_enc,
         token_expires_at = EXCLUDED.token_expires_at,
         refresh_token_expires_at = EXCLUDED.refresh_token_expires_at,
         scope = EXCLUDED.scope, status = 'CONNECTED', status_reason = NULL,
         connected_at = EXCLUDED.connected_at, updated_at = EXCLUDED.updated_at;
END
$$;
REVOKE ALL ON FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text) TO tthub_admin;
COMMENT ON FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text) IS
  'Migration path for accounts connected elsewhere: encrypts and stores the tokens, status CONNECTED. Admin only.';

CREATE FUNCTION @extschema@.tthub_schedule_daily_sync(cron text DEFAULT '0 2 * * *') RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF to_regnamespace('cron') IS NULL THEN
    RAISE EXCEPTION 'pg_cron is not installed in this database'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'CREATE EXTENSION pg_cron in the database named by cron.database_name.';
  END IF;
  -- pg_cron 1.4 evaluates schedules in GMT.
  RETURN cron.schedule('tthub-daily-sync', cron, 'SELECT @extschema@.tthub_sync_all()');
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_schedule_daily_sync(text) IS
  'Create or update the pg_cron job "tthub-daily-sync" that runs tthub_sync_all() (schedule in GMT); returns its cron job id.';

CREATE FUNCTION @extschema@.tthub_unschedule_daily_sync() RETURNS boolean
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF to_regnamespace('cron') IS NULL
     OR NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'tthub-daily-sync') THEN
    RETURN false;
  END IF;
  RETURN cron.unschedule('tthub-daily-sync');
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_unschedule_daily_sync() IS 'Remove the pg_cron job "tthub-daily-sync"; false if there was none.';

CREATE FUNCTION @extschema@.tthub_sync_now(store_code text,
    OUT accounts integer, OUT videos_written bigint, OUT pages integer,
    OUT duration_ms bigint, OUT status text, OUT message text)
  LANGUAGE c VOLATILE STRICT AS 'MODULE_PATHNAME', 'tthub_sync_now';
REVOKE ALL ON FUNCTION @extschema@.tthub_sync_now(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.tthub_sync_now(text) IS
  'Sync the store in this session and report a summary. The one documented place where a transaction spans TikTok calls: use it for checks and tests, the worker for production.';

-- Worker-side queue operations, kept in SQL so they read as what they are.
CREATE FUNCTION @extschema@._claim_jobs(max_jobs integer, lease interval, pid integer)
  RETURNS SETOF @extschema@.sync_jobs
  LANGUAGE sql VOLATILE
AS $$
  UPDATE @extschema@.sync_jobs j
     SET state = 'running', attempts = j.attempts + 1, lease_until = now() + lease, worker_pid = pid,
         started_at = now(), pages_fetched = 0, videos_seen = 0, updated_at = now()
   WHERE (j.store_code, j.job_id) IN (
           SELECT q.store_code, q.job_id FROM @extschema@.sync_jobs q
            WHERE q.state = 'queued' AND q.run_after <= now()
            ORDER BY q.run_after, q.job_id
            LIMIT max_jobs
              FOR UPDATE SKIP LOCKED)
  RETURNING j.*
$$;
COMMENT ON FUNCTION @extschema@._claim_jobs(integer, interval, integer) IS 'Internal: lease up to max_jobs due jobs to a worker.';

CREATE FUNCTION @extschema@._requeue_orphans(max_attempts integer) RETURNS integer
  LANGUAGE sql VOLATILE
AS $$
  -- Running jobs whose worker is gone (lease passed, or no such backend) go back to
  -- the queue, or die when their attempts are spent.
  WITH orphans AS (
    UPDATE @extschema@.sync_jobs j
       SET state = CASE WHEN j.attempts >= max_attempts THEN 'dead'::@extschema@.job_state ELSE 'queued' END,
           finished_at = CASE WHEN j.attempts >= max_attempts THEN now() END,
           last_error = coalesce(j.last_error, 'the worker running this job stopped'),
           lease_until = NULL, worker_pid = NULL, run_after = now(), updated_at = now()
     WHERE j.state = 'running'
       AND (j.lease_until < now()
            OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = j.worker_pid))
    RETURNING 1)
  SELECT count(*)::integer FROM orphans
$$;
COMMENT ON FUNCTION @extschema@._requeue_orphans(integer) IS 'Internal: put jobs of dead workers back in the queue.';

CREATE VIEW @extschema@.sync_progress AS
  SELECT j.store_code, j.job_id, j.current_open_id AS open_id, j.pages_fetched, j.videos_seen,
         j.started_at, j.attempts AS attempt, j.lease_until, j.worker_pid
    FROM @extschema@.sync_jobs j
   WHERE j.state = 'running';
COMMENT ON VIEW @extschema@.sync_progress IS 'Running sync jobs: store, account, pages and videos so far, start, attempt.';

CREATE VIEW @extschema@.job_queue AS
  SELECT s.state, count(j.job_id) AS jobs, min(j.run_after) FILTER (WHERE j.state = 'queued') AS next_run_after
    FROM unnest(enum_range(NULL::@extschema@.job_state)) AS s(state)
    LEFT JOIN @extschema@.sync_jobs j ON j.state = s.state
   GROUP BY s.state
   ORDER BY s.state;
COMMENT ON VIEW @extschema@.job_queue IS 'Sync jobs counted by state.';

CREATE VIEW @extschema@.dead_jobs AS
  SELECT store_code, job_id, job_type, snapshot_date, attempts, last_error, last_http_status,
         created_at, finished_at
    FROM @extschema@.sync_jobs
   WHERE state = 'dead';
COMMENT ON VIEW @extschema@.dead_jobs IS 'Jobs whose retries are exhausted; tthub_retry_job(job_id) puts one back.';

GRANT SELECT ON @extschema@.sync_jobs, @extschema@.sync_ledger, @extschema@.sync_progress,
                @extschema@.job_queue, @extschema@.dead_jobs TO tthub_reader, tthub_admin;
REVOKE ALL ON FUNCTION @extschema@.tthub_sync(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_sync_all() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_retry_job(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_schedule_daily_sync(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_unschedule_daily_sync() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._claim_jobs(integer, interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._requeue_orphans(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_sync(text), @extschema@.tthub_sync_all(),
                          @extschema@.tthub_retry_job(bigint) TO tthub_admin;

------------------------------------------------------------------------------
-- Connecting a store: OAuth (Login Kit for Web) inside the database. The shim
-- (tthub-oauth) only redirects and calls tthub_oauth_begin / tthub_oauth_complete.
------------------------------------------------------------------------------
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tthub_oauth') THEN
    CREATE ROLE tthub_oauth NOLOGIN;
  END IF;
END
$roles$;
GRANT USAGE ON SCHEMA @extschema@ TO tthub_oauth;

-- Looked up by state alone (the callback carries nothing else): on Citus, a
-- reference table rather than one distributed by store_code.
CREATE TABLE @extschema@.oauth_states (
  state_hash   bytea       PRIMARY KEY,
  store_code   varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE ON UPDATE CASCADE,
  redirect_uri text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX oauth_states_expires_idx ON @extschema@.oauth_states (expires_at);
COMMENT ON TABLE @extschema@.oauth_states IS 'Pending OAuth authorizations: single-use, 10-minute states, stored only as SHA-256 hashes.';
COMMENT ON COLUMN @extschema@.oauth_states.state_hash IS 'SHA-256 of the state parameter (the state itself is never stored).';
COMMENT ON COLUMN @extschema@.oauth_states.store_code IS 'Store being connected.';
COMMENT ON COLUMN @extschema@.oauth_states.redirect_uri IS 'redirect_uri of the authorize request; the code exchange must repeat it.';
COMMENT ON COLUMN @extschema@.oauth_states.created_at IS 'When the authorization began.';
COMMENT ON COLUMN @extschema@.oauth_states.expires_at IS 'After this the state is refused.';
COMMENT ON COLUMN @extschema@.oauth_states.used_at IS 'When the callback used it (a state works once).';

CREATE FUNCTION @extschema@._random_state() RETURNS text
  LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'tthub_random_state';
COMMENT ON FUNCTION @extschema@._random_state() IS 'Internal: 256 random bits, base64url.';
CREATE FUNCTION @extschema@._form_encode(value text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'tthub_form_encode';
COMMENT ON FUNCTION @extschema@._form_encode(text) IS 'Internal: application/x-www-form-urlencoded encoding.';
REVOKE ALL ON FUNCTION @extschema@._random_state() FROM PUBLIC;

CREATE FUNCTION @extschema@.tthub_oauth_begin(store_code text, redirect_uri text) RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  state text := @extschema@._random_state();
  client_key text := coalesce(current_setting('tthub.client_key', true), '');
  base text := coalesce(nullif(current_setting('tthub.authorize_url', true), ''), 'https://www.tiktok.com/v2/auth/authorize/');
  scopes text := coalesce(nullif(current_setting('tthub.oauth_scopes', true), ''), 'user.info.basic,user.info.stats,video.list');
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF NOT EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = tthub_oauth_begin.store_code) THEN
    RAISE EXCEPTION 'store "%" does not exist', store_code USING ERRCODE = 'no_data_found';
  END IF;
  -- TikTok's rules for a web redirect URI: https, absolute, no query, no fragment,
  -- under 512 characters. Plain http only for loopback (development, tests).
  IF redirect_uri IS NULL OR length(redirect_uri) >= 512
     OR NOT (redirect_uri ~ '^https://[^\s?#]+$'
             OR redirect_uri ~ '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[^\s?#]*)?$') THEN
    RAISE EXCEPTION 'invalid redirect_uri'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'It must be an absolute https URL without query or fragment, under 512 characters, registered with the TikTok app.';
  END IF;
  IF client_key = '' THEN
    RAISE EXCEPTION 'tthub.client_key is not set' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  INSERT INTO @extschema@.oauth_states (state_hash, store_code, redirect_uri, expires_at)
  VALUES (sha256(convert_to(state, 'UTF8')), store_code, redirect_uri, now() + interval '10 minutes');
  -- Web apps send no PKCE parameters (not part of TikTok's documented web flow).
  RETURN base || CASE WHEN position('?' IN base) > 0 THEN '&' ELSE '?' END
         || 'client_key=' || @extschema@._form_encode(client_key)
         || '&response_type=code'
         || '&scope=' || @extschema@._form_encode(scopes)
         || '&redirect_uri=' || @extschema@._form_encode(redirect_uri)
         || '&state=' || state;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_oauth_begin(text, text) IS
  'Start connecting a TikTok account to a store: returns the authorize URL with a fresh single-use state (10 minutes).';

CREATE FUNCTION @extschema@.tthub_oauth_complete(state text, code text,
    OUT store_code text, OUT display_name text, OUT status text, OUT status_reason text)
  LANGUAGE c VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_oauth_complete';
COMMENT ON FUNCTION @extschema@.tthub_oauth_complete(text, text) IS
  'Finish connecting: checks the state, exchanges the code at TikTok, stores the tokens encrypted, enqueues a first sync. Errors: TH101 unknown state, TH102 expired, TH103 already used, TH104 TikTok refused, TH105 TikTok unavailable.';

CREATE FUNCTION @extschema@.tthub_disconnect(store_code text, open_id text DEFAULT NULL) RETURNS integer
  LANGUAGE c VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_disconnect';
COMMENT ON FUNCTION @extschema@.tthub_disconnect(text, text) IS
  'Revoke the store''s account (or all its accounts) at TikTok, delete the tokens, status DISABLED; snapshots stay. Returns the number of accounts disconnected.';

REVOKE ALL ON FUNCTION @extschema@.tthub_oauth_begin(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_oauth_complete(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.tthub_disconnect(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_oauth_begin(text, text), @extschema@.tthub_oauth_complete(text, text)
  TO tthub_oauth, tthub_admin;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_disconnect(text, text) TO tthub_admin;

------------------------------------------------------------------------------
-- Retention (after every table it prunes exists)
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@._prune(retention_days integer) RETURNS bigint
  LANGUAGE sql VOLATILE
AS $$
  WITH j AS (DELETE FROM @extschema@.sync_jobs
              WHERE state IN ('done', 'failed', 'dead', 'skipped')
                AND finished_at < now() - make_interval(days => retention_days) RETURNING 1),
       l AS (DELETE FROM @extschema@.sync_logs
              WHERE started_at < now() - make_interval(days => retention_days) RETURNING 1),
       s AS (DELETE FROM @extschema@.oauth_states WHERE expires_at < now() - interval '1 day' RETURNING 1)
  SELECT (SELECT count(*) FROM j) + (SELECT count(*) FROM l) + (SELECT count(*) FROM s)
$$;
COMMENT ON FUNCTION @extschema@._prune(integer) IS 'Internal: delete finished jobs and sync logs older than the retention, and expired OAuth states.';
REVOKE ALL ON FUNCTION @extschema@._prune(integer) FROM PUBLIC;
