-- The SQL surface of issue 19: tiers, what is due, the refresh queue, observation
-- partitions and their retention, the full pass (the views: reporting_videos.sql).
BEGIN;
SELECT plan(36);

SELECT has_table('tthub', 'videos', 'tthub.videos');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'tthub.video_observations'::regclass), 'p',
          'video_observations is partitioned');
SELECT col_is_pk('tthub', 'videos', ARRAY['store_code', 'video_id'], 'one row per video');

-- Tiers by age (defaults: 48 h, 30 d).
SELECT is(tthub.video_tier(now() - interval '47 hours'), 'fresh', 'younger than 48 h: fresh');
SELECT is(tthub.video_tier(now() - interval '49 hours'), 'young', 'older: young');
SELECT is(tthub.video_tier(now() - interval '31 days'), 'old', 'older than 30 days: old');
SELECT is(tthub.video_tier(NULL), 'old', 'no create_time: old');
SELECT is((SELECT fresh_interval || '/' || young_interval || '/' || old_max_interval FROM tthub._refresh_tiers()),
          '01:00:00/1 day/7 days', 'the settings as intervals');

-- Partitions: today and the coming days, made once, in their own schema, commented.
SELECT lives_ok($$ SELECT tthub._observation_partitions(3) $$, 'partitions are made');
SELECT is(tthub._observation_partitions(3), 0, 'a second call makes none');
SELECT ok(to_regclass('tthub_observations.' || tthub._observation_partition_name((now() AT TIME ZONE 'UTC')::date)) IS NOT NULL,
          'today''s partition exists in tthub_observations');
SELECT ok(to_regclass('tthub_observations.' || tthub._observation_partition_name((now() AT TIME ZONE 'UTC')::date + 3)) IS NOT NULL,
          'so does the one 3 days ahead');
SELECT isnt(obj_description(to_regclass('tthub_observations.' || tthub._observation_partition_name((now() AT TIME ZONE 'UTC')::date)), 'pg_class'),
            NULL, 'partitions have a comment');
SELECT col_is_pk('tthub_observations', tthub._observation_partition_name((now() AT TIME ZONE 'UTC')::date)::name,
                 ARRAY['store_code', 'video_id', 'observed_at'], 'each partition is keyed by store, video and time');

-- Retention drops whole days, never a DELETE of the days kept.
CREATE TABLE tthub_observations.video_observations_20200101 PARTITION OF tthub.video_observations
  FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-01-02 00:00+00');
SELECT tthub.tthub_add_store('vid', 'Videos');
INSERT INTO tthub.video_observations (store_code, video_id, observed_at, open_id, view_count) VALUES
  ('vid', 'x', '2020-01-01 12:00+00', 'o1', 1), ('vid', 'x', now(), 'o1', 2);
SELECT is(tthub._drop_old_observations('30 days'), 1, 'the 2020 day is past 30 days of retention: dropped');
SELECT ok(to_regclass('tthub_observations.video_observations_20200101') IS NULL, 'its partition is gone');
SELECT is((SELECT count(*)::int FROM tthub.video_observations WHERE store_code = 'vid'), 1, 'today''s row stays');
SELECT is(tthub._drop_old_observations('30 days'), 0, 'nothing more to drop');

-- What is due: fresh before young (and old past its maximum) before old, the longest
-- unobserved first; removed videos and videos observed within their interval never.
INSERT INTO tthub.store_accounts (store_code, open_id, status) VALUES ('vid', 'o1', 'CONNECTED');
INSERT INTO tthub.videos (store_code, video_id, open_id, create_time, last_observed_at, removed_at) VALUES
  ('vid', 'f-never', 'o1', now() - interval '1 hour', NULL, NULL),
  ('vid', 'f-due', 'o1', now() - interval '5 hours', now() - interval '2 hours', NULL),
  ('vid', 'f-recent', 'o1', now() - interval '5 hours', now() - interval '10 minutes', NULL),
  ('vid', 'y-due', 'o1', now() - interval '10 days', now() - interval '25 hours', NULL),
  ('vid', 'y-recent', 'o1', now() - interval '10 days', now() - interval '2 hours', NULL),
  ('vid', 'o-due', 'o1', now() - interval '90 days', now() - interval '2 days', NULL),
  ('vid', 'o-overdue', 'o1', now() - interval '90 days', now() - interval '8 days', NULL),
  ('vid', 'o-removed', 'o1', now() - interval '90 days', now() - interval '9 days', now() - interval '1 day');
SELECT is((SELECT string_agg(video_id || ':' || priority, ' ' ORDER BY priority, last_observed_at NULLS FIRST)
             FROM tthub._due_videos('vid', 'o1', 100)),
          'f-never:0 f-due:0 o-overdue:1 y-due:1 o-due:2', 'due videos by priority, stalest first');
SELECT is((SELECT count(*)::int FROM tthub._due_videos('vid', 'o1', 2)), 2, 'max_videos bounds the answer');
-- ahead: what falls due before the store's next plan, at most half the interval early
-- (a young video, due 22 h after it was observed, from 11 h on).
INSERT INTO tthub.videos (store_code, video_id, open_id, create_time, last_observed_at) VALUES
  ('vid', 'y-half', 'o1', now() - interval '10 days', now() - interval '12 hours');
SELECT is((SELECT count(*)::int FROM tthub._due_videos('vid', 'o1', 100, interval '9 hours') WHERE video_id = 'y-half'), 0,
          'a young video 12 h after its observation is not due 9 hours ahead');
SELECT is((SELECT count(*)::int FROM tthub._due_videos('vid', 'o1', 100, interval '10 hours') WHERE video_id = 'y-half'), 1,
          'it is 10 hours ahead');
SELECT is((SELECT string_agg(video_id, ' ' ORDER BY video_id) FROM tthub._due_videos('vid', 'o1', 100, interval '2 days')
            WHERE video_id IN ('f-recent', 'y-recent', 'y-half')), 'y-half',
          'however far ahead, never more than half an interval early');
DELETE FROM tthub.videos WHERE store_code = 'vid' AND video_id = 'y-half';

-- The refresh queue: one pending refresh per store, beside the store's daily job.
SELECT is(tthub.tthub_enqueue_due(), 1, 'a store with due videos is queued');
SELECT is(tthub.tthub_enqueue_due(), 0, 'again: its refresh is pending');
SELECT is((SELECT job_type || '/' || (snapshot_date IS NULL) FROM tthub.sync_jobs WHERE store_code = 'vid'), 'refresh/true',
          'a refresh job has no snapshot day');
SELECT isnt(tthub.tthub_sync('vid'), (SELECT job_id FROM tthub.sync_jobs WHERE store_code = 'vid' AND job_type = 'refresh'),
            'tthub_sync beside a pending refresh makes its own job');
SELECT throws_ok($$ INSERT INTO tthub.sync_jobs (store_code, snapshot_date, job_type) VALUES ('vid', NULL, 'daily_sync') $$,
                 '23514', NULL, 'only a refresh job may lack a snapshot day');
SELECT throws_ok($$ SELECT tthub.tthub_schedule_refresh() $$, '55000', 'pg_cron is not installed in this database',
                 'scheduling needs pg_cron');

-- The full pass: what it did not list since it started is removed, the rest kept.
UPDATE tthub.videos SET last_listed_at = now() WHERE store_code = 'vid' AND video_id <> 'y-recent';
SELECT is(tthub._finish_full_pass('vid', 'o1', now() - interval '1 minute', now()), 1, 'one video was not listed');
SELECT ok((SELECT removed_at IS NOT NULL FROM tthub.videos WHERE store_code = 'vid' AND video_id = 'y-recent'),
          'it is marked removed');
SELECT is((SELECT count(*)::int FROM tthub.videos WHERE store_code = 'vid' AND removed_at IS NULL), 6, 'the listed ones are not');
SELECT ok((SELECT listed_at IS NOT NULL AND list_cursor IS NULL FROM tthub.account_refresh WHERE store_code = 'vid'),
          'the pass is recorded');

-- Discovery is due as the worker's planner judges it: a user/info read since the last
-- discovery whose video_count did not grow looked for posts as well (not queued); a
-- grown count means posts to find (queued at once).
SELECT tthub.tthub_add_store('disc', 'Discovery');
INSERT INTO tthub.store_accounts (store_code, open_id, status) VALUES ('disc', 'd1', 'CONNECTED');
INSERT INTO tthub.videos (store_code, video_id, open_id, create_time, last_observed_at) VALUES
  ('disc', 'd-old', 'd1', now() - interval '90 days', now() - interval '1 hour');
INSERT INTO tthub.account_refresh (store_code, open_id, discovered_at, listed_at, user_info_at) VALUES
  ('disc', 'd1', now() - interval '2 hours', now() - interval '2 hours', now() - interval '10 minutes');
INSERT INTO tthub.user_daily (store_code, open_id, snapshot_date, display_name, follower_count, likes_count, video_count)
VALUES ('disc', 'd1', current_date, 'Disc', 1, 1, 1);
SELECT is(tthub.tthub_enqueue_due(), 0,
          'a user/info read 10 minutes ago whose count did not grow stands for the discovery of 2 hours ago: not queued');
UPDATE tthub.user_daily SET video_count = 2 WHERE store_code = 'disc';
SELECT is(tthub.tthub_enqueue_due(), 1, 'its count grew past the videos tthub knows: queued at once');
DELETE FROM tthub.sync_jobs WHERE store_code = 'disc';
UPDATE tthub.user_daily SET video_count = 1 WHERE store_code = 'disc';
UPDATE tthub.account_refresh SET user_info_at = now() - interval '3 hours' WHERE store_code = 'disc';
SELECT is(tthub.tthub_enqueue_due(), 1, 'without a later user/info read, the discovery of 2 hours ago is due');

SELECT * FROM finish();
ROLLBACK;
