-- tthub.health: the metrics a DBA is paged for, each counting what its help says.
BEGIN;
SELECT plan(12);

CREATE FUNCTION pg_temp.metric(name text) RETURNS float8 LANGUAGE sql
  RETURN (SELECT value FROM tthub.health WHERE metric = name);

INSERT INTO tthub.stores (store_code, store_name) VALUES ('h-a', 'active'), ('h-off', 'disabled');
UPDATE tthub.stores SET disabled_at = now() WHERE store_code = 'h-off';
INSERT INTO tthub.store_accounts (store_code, open_id, status, connected_at, refresh_token_expires_at) VALUES
  ('h-a', 'a1', 'CONNECTED', now() - interval '3 days', now() + interval '3 days'),     -- stale, expiring
  ('h-a', 'a2', 'CONNECTED', now() - interval '3 days', now() + interval '100 days'),   -- complete yesterday
  ('h-a', 'a3', 'ERROR', now() - interval '3 days', now() + interval '100 days'),       -- complete 3 days ago only
  ('h-a', 'a4', 'CONNECTED', now(), now() + interval '1 day'),                          -- new; expiring
  ('h-a', 'a5', 'NEED_RECONNECT', now() - interval '3 days', now() - interval '1 day'), -- not synced anyway
  ('h-off', 'b1', 'CONNECTED', now() - interval '3 days', now() + interval '1 day');    -- store disabled
INSERT INTO tthub.sync_ledger (store_code, open_id, snapshot_date, complete) VALUES
  ('h-a', 'a2', tthub.snapshot_today() - 1, true),
  ('h-a', 'a3', tthub.snapshot_today() - 3, true),
  ('h-a', 'a3', tthub.snapshot_today() - 1, false),  -- incomplete, counted
  ('h-a', 'a3', tthub.snapshot_today(), false),      -- today: may still be running
  ('h-a', 'a1', tthub.snapshot_today() - 9, false);  -- older than 7 days
INSERT INTO tthub.sync_jobs (store_code, snapshot_date, state, finished_at) VALUES
  ('h-a', tthub.snapshot_today() - 2, 'failed', now()),
  ('h-a', tthub.snapshot_today() - 1, 'dead', now()),
  ('h-a', tthub.snapshot_today() - 3, 'done', now());
INSERT INTO tthub.sync_logs (store_code, job_type, status, started_at) VALUES
  ('h-a', 'daily_sync', 'FAILED', now() - interval '1 hour'),
  ('h-a', 'daily_sync', 'FAILED', now() - interval '2 days'),
  ('h-a', 'daily_sync', 'SUCCESS', now());

SELECT is(pg_temp.metric('tthub_jobs_failed'), 1::float8, 'failed jobs are counted');
SELECT is(pg_temp.metric('tthub_jobs_dead'), 1::float8, 'dead jobs are counted');
SELECT is(pg_temp.metric('tthub_sync_attempts_failed_24h'), 1::float8, 'failed attempts of the last 24 hours are counted');
SELECT is(pg_temp.metric('tthub_accounts_stale'), 2::float8,
          'accounts to sync with no complete day since yesterday: not new ones, not reconnects, not disabled stores');
SELECT is(pg_temp.metric('tthub_incomplete_days_7d'), 1::float8, 'incomplete days of the last week, today excluded');
SELECT is(pg_temp.metric('tthub_refresh_tokens_expiring_7d'), 2::float8,
          'refresh tokens expiring within 7 days, of accounts that are synced');
SELECT is((SELECT count(*)::int FROM tthub.health WHERE help IS NULL OR help = ''), 0, 'every metric says what it measures');
SELECT is((SELECT count(*)::int FROM tthub.health WHERE metric !~ '^tthub_[a-z0-9_]+$'), 0, 'metric names are Prometheus names');
SELECT is((SELECT count(DISTINCT metric)::int FROM tthub.health), (SELECT count(*)::int FROM tthub.health), 'metric names are unique');

-- The token key: loaded (the test cluster has one), and every stored token's key id known.
SELECT is(pg_temp.metric('tthub_token_key_loaded'), 1::float8, 'tthub_token_key_loaded: the key reads every stored token');
-- An envelope naming a key id the server does not have (a rotation without
-- tthub.token_key_previous_file): version 1, key id de ad be ef, IV and tag.
UPDATE tthub.store_accounts SET refresh_token_enc = '\x01deadbeef'::bytea || convert_to(repeat('x', 28), 'UTF8')
 WHERE store_code = 'h-a' AND open_id = 'a1';
SELECT is(pg_temp.metric('tthub_token_key_loaded'), 0::float8, 'tthub_token_key_loaded is 0 when a stored token''s key id is unknown');
SELECT is(pg_temp.metric('tthub_worker_heartbeat_age_seconds'), NULL::float8, 'no worker serves this database: no heartbeat age');

SELECT * FROM finish();
ROLLBACK;
