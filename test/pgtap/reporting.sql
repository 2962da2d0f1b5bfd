-- Reporting views on fixed data, store management, retention, health.
BEGIN;
SELECT plan(41);

SELECT lives_ok($$ SELECT tthub.tthub_add_store('rep', 'Reporting', 'Dewi', 'dewi@example.com') $$, 'add a store');
SELECT throws_ok($$ SELECT tthub.tthub_add_store('rep', 'Again') $$, '23505', 'store "rep" already exists', 'adding it twice says so');
SELECT throws_ok($$ SELECT tthub.tthub_add_store('Rep Store', 'x') $$, '22023', NULL, 'an invalid code is refused');
SELECT throws_ok($$ SELECT tthub.tthub_add_store('rep2', '  ') $$, '22023', 'a store needs a name', 'a blank name is refused');
SELECT lives_ok($$ SELECT tthub.tthub_update_store('rep', pic_contact => '+62 811') $$, 'update one field');
SELECT is((SELECT store_name || '/' || pic_name || '/' || pic_contact FROM tthub.stores WHERE store_code = 'rep'),
          'Reporting/Dewi/+62 811', 'other fields keep their values');
SELECT throws_ok($$ SELECT tthub.tthub_update_store('nosuch', 'x') $$, 'P0002', NULL, 'updating an unknown store');

-- An account with snapshots on days 1, 2, 5 (days 3 and 4 missing), 10 and 40.
INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, follower_count, following_count, likes_count, video_count) VALUES
  ('rep', 'o1', '2026-01-01', 100, 5, 1000, 10),
  ('rep', 'o1', '2026-01-02', 110, 5, 1100, 11),
  ('rep', 'o1', '2026-01-05', 140, 6, 1400, 11),
  ('rep', 'o1', '2026-01-10', 200, 6, 2000, 12),
  ('rep', 'o1', '2026-02-09', 500, 7, 5000, 15);
SELECT is((SELECT follower_change || '/' || days_since_previous FROM tthub.account_daily WHERE store_code = 'rep' AND snapshot_date = '2026-01-02'),
          '10/1', 'day-over-day change');
SELECT is((SELECT follower_change || '/' || days_since_previous || '/' || follower_change_per_day FROM tthub.account_daily
            WHERE store_code = 'rep' AND snapshot_date = '2026-01-05'),
          '30/3/10.00', 'across a gap: the change covers 3 days, 10 per day');
SELECT is((SELECT follower_change IS NULL AND previous_snapshot_date IS NULL FROM tthub.account_daily
            WHERE store_code = 'rep' AND snapshot_date = '2026-01-01'), true, 'the first snapshot has no change');

-- Videos: v1 with a gap, v2 with zero views, v3 seen only once.
INSERT INTO tthub.video_daily (store_code, video_id, snapshot_date, open_id, title, view_count, like_count, comment_count, share_count) VALUES
  ('rep', 'v1', '2026-01-01', 'o1', 'one', 1000, 100, 10, 5),
  ('rep', 'v1', '2026-01-02', 'o1', 'one', 1500, 120, 12, 6),
  ('rep', 'v1', '2026-01-05', 'o1', 'one', 3000, 200, 30, 10),
  ('rep', 'v2', '2026-01-05', 'o1', 'two', 0, 0, 0, 0),
  ('rep', 'v2', '2026-01-06', 'o1', 'two', 0, 0, 0, 0),
  ('rep', 'v3', '2026-01-02', 'o1', 'three', 50, 5, 0, 0);
SELECT is((SELECT views_change || '/' || likes_change || '/' || comments_change || '/' || shares_change || '/' || days_since_previous
             FROM tthub.video_daily_delta WHERE video_id = 'v1' AND snapshot_date = '2026-01-02'),
          '500/20/2/1/1', 'video deltas day over day');
SELECT is((SELECT views_change || '/' || days_since_previous || '/' || views_per_day
             FROM tthub.video_daily_delta WHERE video_id = 'v1' AND snapshot_date = '2026-01-05'),
          '1500/3/500.00', 'a gap is three days of change, not one');
SELECT is((SELECT views_change FROM tthub.video_daily_delta WHERE video_id = 'v1' AND snapshot_date = '2026-01-01'), NULL,
          'no change on a video''s first day');
SELECT is((SELECT views_change FROM tthub.video_daily_delta WHERE video_id = 'v2' AND snapshot_date = '2026-01-06'), 0::bigint,
          'zero views stay zero');
SELECT is((SELECT count(*)::int FROM tthub.video_daily_delta WHERE store_code = 'rep'), 6, 'one delta row per snapshot row');

SELECT is((SELECT snapshot_date || '/' || view_count FROM tthub.video_latest WHERE video_id = 'v1'), '2026-01-05/3000',
          'video_latest takes the latest snapshot');
SELECT is((SELECT engagement_rate FROM tthub.video_latest WHERE video_id = 'v1'), 0.080000::numeric,
          'engagement rate = (200 + 30 + 10) / 3000');
SELECT is((SELECT engagement_rate FROM tthub.video_latest WHERE video_id = 'v2'), NULL, 'engagement rate is NULL with zero views');
SELECT is((SELECT snapshot_date FROM tthub.video_latest WHERE video_id = 'v3'), '2026-01-02'::date,
          'a video no longer listed keeps its last snapshot');
SELECT is((SELECT count(*)::int FROM tthub.video_latest WHERE store_code = 'rep'), 3, 'one row per video');

-- store_summary: latest 2026-02-09 (500); 7 days earlier -> latest on or before 02-02 = 01-10 (200);
-- 30 days earlier -> on or before 01-10 = 01-10 (200).
INSERT INTO tthub.store_accounts (store_code, open_id, status) VALUES ('rep', 'o1', 'CONNECTED'), ('rep', 'o2', 'NEED_RECONNECT');
SELECT is((SELECT followers || '/' || follower_growth_7d || '/' || follower_growth_30d || '/' || likes_growth_7d
             FROM tthub.store_summary WHERE store_code = 'rep'), '500/300/300/3000', '7- and 30-day growth across missing days');
SELECT is((SELECT accounts || '/' || accounts_connected || '/' || accounts_need_reconnect FROM tthub.store_summary WHERE store_code = 'rep'),
          '2/1/1', 'accounts by status');
INSERT INTO tthub.sync_logs (store_code, job_type, status, started_at, completed_at) VALUES
  ('rep', 'daily_sync', 'FAILED', now() - interval '3 days', now() - interval '3 days'),
  ('rep', 'daily_sync', 'SUCCESS', now() - interval '2 days', now() - interval '2 days'),
  ('rep', 'daily_sync', 'FAILED', now() - interval '1 day', now() - interval '1 day'),
  ('rep', 'daily_sync', 'FAILED', now() - interval '1 hour', now() - interval '1 hour'),
  ('rep', 'oauth_connect', 'SUCCESS', now(), now());
SELECT is((SELECT consecutive_failures FROM tthub.store_summary WHERE store_code = 'rep'), 2::bigint,
          'consecutive failures count since the last successful sync');
SELECT ok((SELECT last_successful_sync BETWEEN now() - interval '2 days 1 minute' AND now() - interval '47 hours' FROM tthub.store_summary WHERE store_code = 'rep'),
          'the last successful sync ignores the OAuth event');

-- Disabling a store.
SELECT tthub.tthub_import_account('rep', 'o3', 'act.r', 'rft.r', 3600, 86400, 'user.info.basic,user.info.stats,video.list');
SELECT lives_ok($$ SELECT tthub.tthub_disable_store('rep') $$, 'disable a store');
SELECT is((SELECT active FROM tthub.store_summary WHERE store_code = 'rep'), false, 'store_summary shows it inactive');
SELECT throws_ok($$ SELECT tthub.tthub_sync('rep') $$, '55000', 'store "rep" is disabled', 'a disabled store cannot be synced');
-- In this transaction the disabled store holds the only connected account.
SELECT is(tthub.tthub_sync_all(), 0, 'tthub_sync_all leaves it out');
SELECT lives_ok($$ SELECT tthub.tthub_enable_store('rep') $$, 'enable it again');
SELECT ok(tthub.tthub_sync('rep') > 0, 'and it syncs again');

-- Retention.
SELECT throws_ok($$ SELECT tthub.tthub_prune_snapshots(0) $$, '22023', NULL, 'keep_days must be positive');
SELECT throws_ok($$ SELECT tthub.tthub_prune_snapshots(30, 'stores') $$, '22023', NULL, 'only snapshot tables can be pruned');
SELECT is(tthub.tthub_prune_snapshots(1, 'video_daily'),
          (SELECT count(*) FROM tthub.video_daily WHERE snapshot_date < tthub.snapshot_today() - 1),
          'pruning video_daily deletes exactly the old rows');
SELECT is((SELECT count(*)::int FROM tthub.video_daily WHERE store_code = 'rep'), 0, 'the fixed 2026-01 rows are gone');
SELECT is((SELECT count(*)::int FROM tthub.user_daily WHERE store_code = 'rep'), 5, 'user_daily untouched when only video_daily is named');

-- Health.
SELECT is((SELECT count(*)::int FROM tthub.health), 16, 'sixteen health metrics');
SELECT is((SELECT value FROM tthub.health WHERE metric = 'tthub_accounts_need_reconnect'),
          (SELECT count(*)::float8 FROM tthub.store_accounts WHERE status = 'NEED_RECONNECT'), 'need_reconnect counts accounts');
SELECT ok((SELECT value > 0 FROM tthub.health WHERE metric = 'tthub_jobs_queued'), 'queued jobs are counted');

-- Roles.
SET LOCAL ROLE tthub_reader;
SELECT lives_ok($$ SELECT * FROM tthub_reporting.account_daily, tthub_reporting.video_daily_delta, tthub_reporting.video_latest, tthub_reporting.store_summary, tthub_reporting.health LIMIT 1 $$,
                'reader reads every reporting view');
SELECT throws_ok($$ SELECT tthub.tthub_add_store('r', 'r') $$, '42501', NULL, 'reader cannot add stores');
SELECT throws_ok($$ SELECT tthub.tthub_prune_snapshots(30) $$, '42501', NULL, 'reader cannot prune');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
