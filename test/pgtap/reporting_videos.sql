-- The analysts' views of issue 19 on fixed rows: launch curves interpolated between
-- observations, posting-day cohorts, freshness per tier, covers, and what readers may
-- do with them.
BEGIN;
SELECT plan(15);

SELECT tthub.tthub_add_store('vid', 'Videos');
INSERT INTO tthub.store_accounts (store_code, open_id, status) VALUES ('vid', 'o1', 'CONNECTED');
SELECT tthub._observation_partitions(3);
-- The curves' observations below reach 29.5 hours back: before 05:30 UTC that is two UTC
-- days ago, older than the partitions the worker keeps made (yesterday on).
DO $$
DECLARE
  d date := (now() AT TIME ZONE 'UTC')::date - 2;
BEGIN
  EXECUTE format('CREATE TABLE tthub_observations.%I PARTITION OF tthub.video_observations FOR VALUES FROM (%L) TO (%L)',
                 tthub._observation_partition_name(d), d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
END
$$;
-- Fresh videos (posted 1 and 5 hours ago), one never observed.
INSERT INTO tthub.videos (store_code, video_id, open_id, create_time, last_observed_at) VALUES
  ('vid', 'f-never', 'o1', now() - interval '1 hour', NULL),
  ('vid', 'f-due', 'o1', now() - interval '5 hours', now() - interval '2 hours'),
  ('vid', 'f-recent', 'o1', now() - interval '5 hours', now() - interval '10 minutes'),
  ('vid', 'o-old', 'o1', now() - interval '90 days', now() - interval '2 days');

-- Curves: interpolated between the bracketing observations, NULL where none bracket.
INSERT INTO tthub.videos (store_code, video_id, open_id, create_time, cover_image_url, cover_fetched_at) VALUES
  ('vid', 'c1', 'o1', now() - interval '30 hours', 'https://cdn/c1', now() - interval '5 hours'),
  ('vid', 'c2', 'o1', now() - interval '30 hours', 'https://cdn/c2', now() - interval '7 hours');
INSERT INTO tthub.video_observations (store_code, video_id, observed_at, open_id, view_count, like_count) VALUES
  ('vid', 'c1', now() - interval '29.5 hours', 'o1', 100, 1),
  ('vid', 'c1', now() - interval '28.5 hours', 'o1', 300, 3),
  ('vid', 'c1', now() - interval '10 hours', 'o1', 1000, 10),
  ('vid', 'c1', now() - interval '2 hours', 'o1', 2000, 20),
  ('vid', 'c2', now() - interval '28.9 hours', 'o1', 10, 0),
  ('vid', 'c2', now() - interval '5 hours', 'o1', 490, 0);
SELECT is((SELECT views_1h || '/' || views_6h || '/' || views_24h FROM tthub_reporting.video_curve WHERE video_id = 'c1'),
          '200/470/1500', 'views at +1 h, +6 h and +24 h, linear between the observations around them');
SELECT is((SELECT likes_24h || '/' || views_per_hour_24h FROM tthub_reporting.video_curve WHERE video_id = 'c1'),
          '15/62.50', 'likes too, and views per hour over the first day');
SELECT ok((SELECT views_48h IS NULL AND views_7d IS NULL FROM tthub_reporting.video_curve WHERE video_id = 'c1'),
          'not reached yet: NULL');
SELECT is((SELECT coalesce(views_1h::text, 'null') || '/' || views_24h FROM tthub_reporting.video_curve WHERE video_id = 'c2'),
          'null/470', 'no observation before +1 h: NULL; +24 h between 10 and 490');
SELECT is((SELECT videos_posted || '/' || videos_with_24h || '/' || median_views_24h FROM tthub_reporting.video_cohorts
            WHERE store_code = 'vid' AND posted_date = ((now() - interval '30 hours') AT TIME ZONE 'UTC')::date),
          '2/2/985.0', 'a cohort''s median views at +24 h');

-- Freshness per tier, and the calls spent.
INSERT INTO tthub.refresh_calls (store_code, call_date, tier, calls) VALUES
  ('vid', (now() AT TIME ZONE 'UTC')::date, 'fresh', 12), ('vid', (now() AT TIME ZONE 'UTC')::date - 1, 'fresh', 99);
SELECT is((SELECT calls_today FROM tthub_reporting.refresh_freshness WHERE store_code = 'vid' AND tier = 'fresh'), 12::bigint,
          'calls today, not yesterday''s');
SELECT is((SELECT videos || '/' || videos_never_observed FROM tthub_reporting.refresh_freshness WHERE store_code = 'vid' AND tier = 'fresh'),
          '5/3', 'fresh videos, and those never observed');

-- Covers: shown only while the link works.
SELECT is((SELECT cover_image_url FROM tthub_reporting.videos WHERE video_id = 'c1'), 'https://cdn/c1', 'a 5-hour-old cover is shown');
SELECT is((SELECT cover_image_url FROM tthub_reporting.videos WHERE video_id = 'c2'), NULL, 'a 7-hour-old one is not');

-- Readers read, never write.
SET LOCAL ROLE tthub_reader;
DISCARD PLANS;  -- the reader resolves names as itself, not through the plans cached above
SELECT is((SELECT count(*)::int FROM tthub_reporting.videos WHERE tier IS NOT NULL), 6,
          'readers read videos, with their tier');
SELECT lives_ok($$ SELECT count(*) FROM tthub_reporting.video_observations $$, 'and observations');
SELECT is((SELECT count(*)::int FROM tthub_reporting.metrics_refresh_tiers), 3, 'and the metrics of the tiers');
SELECT throws_ok($$ SELECT * FROM tthub.videos $$, '42501', NULL, 'but not tthub.videos itself');
-- A reader holds no write privilege on it, and the view (two branches, one per kind of
-- reader: functions/15-clients.sql) could not take a write anyway.
SELECT ok(NOT has_table_privilege('tthub_reporting.videos', 'INSERT, UPDATE, DELETE'), 'and cannot write');
RESET ROLE;

-- A store in its own zone (issue 21) groups its videos by its own posting day: a
-- video posted at 23:30 UTC is posted the next day in UTC+7.
SELECT tthub.tthub_add_store('vid-east', 'East');
SET LOCAL client_min_messages = warning;
SELECT tthub.tthub_set_store_timezone('vid-east', 'Asia/Jakarta');
INSERT INTO tthub.videos (store_code, video_id, open_id, create_time) VALUES
  ('vid-east', 'e1', 'o1', '2026-03-01 23:30:00+00');
SELECT is((SELECT posted_date FROM tthub_reporting.video_cohorts WHERE store_code = 'vid-east'), '2026-03-02'::date,
          'a cohort''s posting day is the store''s own local day');

SELECT * FROM finish();
ROLLBACK;
