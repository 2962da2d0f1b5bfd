------------------------------------------------------------------------------
-- Refresh tiers, observations and the refresh schedule (issue #19).
------------------------------------------------------------------------------

-- The tier settings as intervals. A setting's text is its value in its largest exact
-- unit ('2d', '90min', '1h'), which interval input reads. Without the library loaded
-- in this session (a restore, a client without tthub in shared_preload_libraries)
-- the defaults apply. A young age below the fresh age is taken as the fresh age.
CREATE OR REPLACE FUNCTION @extschema@._refresh_tiers(
    OUT fresh_age interval, OUT fresh_interval interval, OUT young_age interval,
    OUT young_interval interval, OUT old_max_interval interval)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  fresh_age := coalesce(nullif(current_setting('tthub.fresh_video_age', true), ''), '48h')::interval;
  fresh_interval := coalesce(nullif(current_setting('tthub.fresh_video_interval', true), ''), '1h')::interval;
  young_age := greatest(fresh_age, coalesce(nullif(current_setting('tthub.young_video_age', true), ''), '30d')::interval);
  young_interval := coalesce(nullif(current_setting('tthub.young_video_interval', true), ''), '1d')::interval;
  old_max_interval := greatest(young_interval,
                               coalesce(nullif(current_setting('tthub.old_video_max_interval', true), ''), '7d')::interval);
END
$$;
COMMENT ON FUNCTION @extschema@._refresh_tiers() IS
  'The refresh tier settings (tthub.fresh_video_age, ...) as intervals; a young age below the fresh age counts as the fresh age, an old-tier maximum below the young interval as the young interval.';

-- A video's tier: fresh, young or old (old as well when TikTok sent no create_time).
-- Views compute it for every video, so the settings are read once per query
-- (_tier_bounds(), joined as one row) and the rule itself is an inlined expression: a
-- SQL-standard body without SET, its names bound at CREATE (functions/10-stores.sql).
-- Called per row with its settings read each time, it cost about 10 us a video (0.2 s
-- for a store of 20,000 videos, every video of every store in metrics_refresh_tiers).
CREATE OR REPLACE FUNCTION @extschema@._video_tier(create_time timestamptz, fresh_after timestamptz,
    young_after timestamptz) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN create_time > fresh_after THEN 'fresh' WHEN create_time > young_after THEN 'young' ELSE 'old' END;
COMMENT ON FUNCTION @extschema@._video_tier(timestamptz, timestamptz, timestamptz) IS
  'The refresh tier of a video posted at create_time: fresh when posted after fresh_after, young when after young_after, else old (_tier_bounds() gives both as of now).';

-- SECURITY DEFINER: readers reach it through tthub_reporting's views and may not call
-- _refresh_tiers() themselves; it reads settings only.
CREATE OR REPLACE FUNCTION @extschema@._tier_bounds(OUT fresh_after timestamptz, OUT young_after timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT now() - t.fresh_age, now() - t.young_age FROM @extschema@._refresh_tiers() t
$$;
COMMENT ON FUNCTION @extschema@._tier_bounds() IS
  'Internal: the posting times after which a video is fresh (now - tthub.fresh_video_age) and young (now - tthub.young_video_age).';
REVOKE ALL ON FUNCTION @extschema@._tier_bounds() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._tier_bounds() TO tthub_admin, tthub_reader;

-- One video's tier as of now (for a DBA, a test): the views apply _video_tier.
CREATE OR REPLACE FUNCTION @extschema@.video_tier(create_time timestamptz) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT @extschema@._video_tier(create_time, b.fresh_after, b.young_after) FROM @extschema@._tier_bounds() b
$$;
COMMENT ON FUNCTION @extschema@.video_tier(timestamptz) IS
  'The refresh tier of a video posted at create_time, as of now: fresh (younger than tthub.fresh_video_age), young (younger than tthub.young_video_age) or old.';
REVOKE ALL ON FUNCTION @extschema@.video_tier(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.video_tier(timestamptz) TO tthub_admin, tthub_reader;

------------------------------------------------------------------------------
-- Partitions of video_observations: one per UTC day, in schema tthub_observations.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._observation_partition_name(day date) RETURNS text
  LANGUAGE sql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
  RETURN 'video_observations_' || to_char(day, 'YYYYMMDD');
COMMENT ON FUNCTION @extschema@._observation_partition_name(date) IS
  'Internal: the name of the partition of video_observations holding a UTC day.';

-- Creates the partitions of yesterday, today and the next ahead_days UTC days that
-- are missing; returns how many it created. Cheap when they exist (one catalog
-- lookup, no lock on the parent). Run by the worker's maintenance and before each job.
CREATE OR REPLACE FUNCTION @extschema@._observation_partitions(ahead_days integer DEFAULT 3) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  SET lock_timeout = '2s'
AS $$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
  day date;
  name text;
  made integer := 0;
  a record;
BEGIN
  FOR day IN SELECT d::date FROM generate_series(today - 1, today + greatest(ahead_days, 0), interval '1 day') d LOOP
    name := @extschema@._observation_partition_name(day);
    CONTINUE WHEN to_regclass(format('tthub_observations.%I', name)) IS NOT NULL;
    -- Attaching locks the parent: a reader's long query must not hold the worker up.
    -- The partition is made days ahead, so a lock wait past lock_timeout only
    -- postpones it to the next maintenance.
    BEGIN
      EXECUTE format('CREATE TABLE tthub_observations.%I PARTITION OF @extschema@.video_observations '
                     'FOR VALUES FROM (%L) TO (%L)', name,
                     day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
      -- The key of its own (tables/45-videos.sql says why it is not the parent's).
      EXECUTE format('ALTER TABLE tthub_observations.%I ADD PRIMARY KEY (store_code, video_id, observed_at)', name);
    EXCEPTION WHEN lock_not_available THEN
      CONTINUE;
    END;
    EXECUTE format('COMMENT ON TABLE tthub_observations.%I IS %L', name,
                   format('Observations of UTC day %s (a partition of tthub.video_observations).', day));
    FOR a IN SELECT attname, col_description('@extschema@.video_observations'::regclass, attnum) AS c
               FROM pg_catalog.pg_attribute
              WHERE attrelid = '@extschema@.video_observations'::regclass AND attnum > 0 AND NOT attisdropped LOOP
      EXECUTE format('COMMENT ON COLUMN tthub_observations.%I.%I IS %L', name, a.attname, a.c);
    END LOOP;
    made := made + 1;
  END LOOP;
  RETURN made;
END
$$;
COMMENT ON FUNCTION @extschema@._observation_partitions(integer) IS
  'Internal: create the missing daily partitions of video_observations, yesterday to ahead_days after today (UTC); returns how many.';
REVOKE ALL ON FUNCTION @extschema@._observation_partitions(integer) FROM PUBLIC;

-- Drops the daily partitions wholly older than the retention (never a DELETE), and
-- the call counts of those days; returns how many partitions went.
CREATE OR REPLACE FUNCTION @extschema@._drop_old_observations(retention interval) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  SET lock_timeout = '2s'
AS $$
DECLARE
  cutoff timestamptz := now() - retention;
  r record;
  dropped integer := 0;
BEGIN
  FOR r IN
    SELECT c.relname, to_date(substr(c.relname, 20), 'YYYYMMDD') AS day
      FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = '@extschema@.video_observations'::regclass
       AND c.relnamespace = 'tthub_observations'::regnamespace
       AND c.relname ~ '^video_observations_[0-9]{8}$'
  LOOP
    -- The partition's last instant is before the cutoff: all of it is past retention.
    CONTINUE WHEN (r.day + 1)::timestamp AT TIME ZONE 'UTC' > cutoff;
    BEGIN  -- a reader holding the day: dropped at the next hourly pass
      EXECUTE format('DROP TABLE tthub_observations.%I', r.relname);
      dropped := dropped + 1;
    EXCEPTION WHEN lock_not_available THEN
      NULL;
    END;
  END LOOP;
  DELETE FROM @extschema@.refresh_calls WHERE call_date < (cutoff AT TIME ZONE 'UTC')::date;
  RETURN dropped;
END
$$;
COMMENT ON FUNCTION @extschema@._drop_old_observations(interval) IS
  'Internal: drop the daily partitions of video_observations that lie wholly before now() - retention, and the refresh call counts of those days; returns the partitions dropped.';
REVOKE ALL ON FUNCTION @extschema@._drop_old_observations(interval) FROM PUBLIC;

------------------------------------------------------------------------------
-- What is due. A video is due when its latest observation is older than its tier's
-- interval, less a twelfth: the schedule runs every few minutes, and a video observed
-- at 10:02 must not wait for 11:05 when 10:57 keeps it within the hour. A refresh job
-- also takes what falls due before the store's next plan (ahead: how far apart its
-- plans are), at most half that interval early. Old videos are due daily (the young
-- interval) and overdue past tthub.old_video_max_interval; overdue old videos rank with
-- the young tier, the others after it: when the budget is short, only the old tier
-- stretches, and never beyond its maximum before the young tier does.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._due_videos(store_code text, open_id text, max_videos integer,
                                                   ahead interval DEFAULT interval '0')
  RETURNS TABLE (video_id text, tier text, priority integer, create_time timestamptz, last_observed_at timestamptz)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record := @extschema@._refresh_tiers();
BEGIN
  RETURN QUERY
    SELECT v.video_id::text, x.tier,
           CASE x.tier WHEN 'fresh' THEN 0 WHEN 'young' THEN 1
                ELSE CASE WHEN v.last_observed_at IS NULL OR v.last_observed_at <= now() - t.old_max_interval
                          THEN 1 ELSE 2 END END,
           v.create_time, v.last_observed_at
      FROM @extschema@.videos v
     CROSS JOIN LATERAL (SELECT CASE WHEN v.create_time > now() - t.fresh_age THEN 'fresh'
                                     WHEN v.create_time > now() - t.young_age THEN 'young'
                                     ELSE 'old' END AS tier) x
     CROSS JOIN LATERAL (SELECT CASE x.tier WHEN 'fresh' THEN t.fresh_interval ELSE t.young_interval END * (11.0 / 12)
                                  AS due_after) d
     WHERE v.store_code = _due_videos.store_code AND v.open_id = _due_videos.open_id AND v.removed_at IS NULL
       AND (v.last_observed_at IS NULL OR v.last_observed_at <= now() -
              (d.due_after - least(greatest(_due_videos.ahead, interval '0'), d.due_after / 2)))
     ORDER BY 3, v.last_observed_at NULLS FIRST, v.video_id
     LIMIT max_videos;
END
$$;
COMMENT ON FUNCTION @extschema@._due_videos(text, text, integer, interval) IS
  'Internal: up to max_videos of an account''s public videos due for observation (or due within ahead, at most half their interval early), by priority (0 fresh, 1 young and overdue old, 2 old) then longest unobserved first.';
REVOKE ALL ON FUNCTION @extschema@._due_videos(text, text, integer, interval) FROM PUBLIC;

-- Marks the account's videos that a full video/list pass started at pass_started_at
-- did not return as removed, and records the pass; returns how many it marked.
CREATE OR REPLACE FUNCTION @extschema@._finish_full_pass(store_code text, open_id text, pass_started_at timestamptz,
                                                          finished_at timestamptz) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n integer;
  started timestamptz := pass_started_at;
BEGIN
  IF started IS NULL THEN  -- the refresh's own pass: it started with its first page
    SELECT coalesce(r.list_started_at, finished_at) INTO started FROM @extschema@.account_refresh r
     WHERE r.store_code = _finish_full_pass.store_code AND r.open_id = _finish_full_pass.open_id;
    started := coalesce(started, finished_at);
  END IF;
  UPDATE @extschema@.videos v SET removed_at = finished_at
   WHERE v.store_code = _finish_full_pass.store_code AND v.open_id = _finish_full_pass.open_id
     AND v.removed_at IS NULL AND (v.last_listed_at IS NULL OR v.last_listed_at < started);
  GET DIAGNOSTICS n = ROW_COUNT;
  INSERT INTO @extschema@.account_refresh AS r (store_code, open_id, listed_at, list_started_at, list_cursor,
                                                discovered_at, updated_at)
  VALUES (_finish_full_pass.store_code, _finish_full_pass.open_id, finished_at, NULL, NULL, finished_at, finished_at)
  ON CONFLICT ON CONSTRAINT account_refresh_pkey DO UPDATE
    SET listed_at = EXCLUDED.listed_at, list_started_at = NULL, list_cursor = NULL,
        discovered_at = EXCLUDED.discovered_at, updated_at = EXCLUDED.updated_at;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._finish_full_pass(text, text, timestamptz, timestamptz) IS
  'Internal: a full video/list pass of an account reached has_more = false: its videos not listed since the pass started (pass_started_at; NULL: the refresh''s pass in account_refresh) are marked removed; returns how many.';
REVOKE ALL ON FUNCTION @extschema@._finish_full_pass(text, text, timestamptz, timestamptz) FROM PUBLIC;

------------------------------------------------------------------------------
-- The schedule: pg_cron runs tthub_enqueue_due() every few minutes; it queues one
-- refresh job per store that has something due and nothing pending.
------------------------------------------------------------------------------
-- jit off: at 10,000 stores the statement's estimated cost passes PostgreSQL's JIT
-- thresholds, and a call every minute would compile it every minute.
CREATE OR REPLACE FUNCTION @extschema@.tthub_enqueue_due() RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET jit = off
AS $$
DECLARE
  t record := @extschema@._refresh_tiers();
  fresh_due timestamptz := now() - t.fresh_interval * (11.0 / 12);
  daily_due timestamptz := now() - t.young_interval * (11.0 / 12);
  created integer;
BEGIN
  PERFORM @extschema@._require_coordinator('tthub_enqueue_due()');
  WITH due AS (
    -- Per account, whether anything is due, each test one index probe (videos_fresh_idx,
    -- videos_due_idx): never refreshed, discovery, a full pass, a fresh video past its
    -- interval, any video past a day. Discovery is judged as the worker's planner
    -- judges it (refresh_planner.cpp): a store it would plan nothing for is not queued
    -- (it was, at every call, while a user/info read stood in for the discovery).
    SELECT a.store_code,
           bool_or(EXISTS (SELECT 1 FROM @extschema@.videos v
                            WHERE v.store_code = a.store_code AND v.open_id = a.open_id AND v.removed_at IS NULL
                              AND v.create_time > now() - t.fresh_age
                              AND (v.last_observed_at IS NULL OR v.last_observed_at <= fresh_due))) AS fresh,
           -- Discovery. The last look for new posts is a discovery or a full pass (it
           -- reads from the top). A user/info read since then: its video_count grew past
           -- the videos tthub knows (posted since: due now), or not (it looked for posts
           -- as well as a discovery would: it counts as one). The count is compared only
           -- for such an account; its rows since that read are a day or two. (No
           -- subquery without FROM and no LIMIT in a correlated one: Citus refuses both.)
           bool_or(CASE CASE WHEN r.user_info_at >= coalesce(greatest(r.discovered_at, r.listed_at), '-infinity') THEN
                               (SELECT (array_agg(u.video_count ORDER BY u.snapshot_date DESC))[1]
                                  FROM @extschema@.user_daily u
                                 WHERE u.store_code = a.store_code AND u.open_id = a.open_id
                                   AND u.snapshot_date >= (r.user_info_at AT TIME ZONE 'UTC')::date - 1)
                               > (SELECT count(*) FROM @extschema@.videos v
                                   WHERE v.store_code = a.store_code AND v.open_id = a.open_id AND v.removed_at IS NULL)
                             END
                     WHEN true THEN true
                     WHEN false THEN r.user_info_at <= fresh_due
                     ELSE coalesce(greatest(r.discovered_at, r.listed_at) <= fresh_due, true) END
                   OR r.list_started_at IS NOT NULL OR r.listed_at IS NULL OR r.listed_at <= daily_due
                   OR EXISTS (SELECT 1 FROM @extschema@.videos v
                               WHERE v.store_code = a.store_code AND v.open_id = a.open_id AND v.removed_at IS NULL
                                 AND v.last_observed_at IS NULL)
                   OR EXISTS (SELECT 1 FROM @extschema@.videos v
                               WHERE v.store_code = a.store_code AND v.open_id = a.open_id AND v.removed_at IS NULL
                                 AND v.last_observed_at <= daily_due)) AS other
      FROM @extschema@.store_accounts a
      JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
      LEFT JOIN @extschema@.account_refresh r ON r.store_code = a.store_code AND r.open_id = a.open_id
     WHERE a.status IN ('CONNECTED', 'ERROR')
     GROUP BY a.store_code),
  enqueued AS (
    -- The claim takes the oldest run_after first: a store with fresh videos due is
    -- backdated an hour, so that when the budget is short fresh work goes first.
    INSERT INTO @extschema@.sync_jobs (store_code, snapshot_date, job_type, run_after)
    SELECT d.store_code, NULL, 'refresh', now() - CASE WHEN d.fresh THEN interval '1 hour' ELSE interval '0' END
      FROM due d
     WHERE (d.fresh OR d.other)
       AND NOT EXISTS (SELECT 1 FROM @extschema@.sync_jobs j
                        WHERE j.store_code = d.store_code AND j.state IN ('queued', 'running'))
    ON CONFLICT (store_code) WHERE state IN ('queued', 'running') AND job_type = 'refresh' DO NOTHING
    RETURNING 1)
  SELECT count(*) INTO created FROM enqueued;
  IF created > 0 THEN
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN created;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_enqueue_due() IS
  'Queue a refresh job for every active store with a video, discovery, full pass or account read due and no job pending; returns how many it queued. Safe to call as often as you like (pg_cron: tthub_schedule_refresh).';
REVOKE ALL ON FUNCTION @extschema@.tthub_enqueue_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_enqueue_due() TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_schedule_refresh(schedule text DEFAULT '*/5 * * * *') RETURNS bigint
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
  RETURN @extschema@._cron_schedule('tthub-refresh', schedule, 'SELECT @extschema@.tthub_enqueue_due()');
COMMENT ON FUNCTION @extschema@.tthub_schedule_refresh(text) IS
  'Create or update the pg_cron job "tthub-refresh" that runs tthub_enqueue_due() (schedule in GMT; default every 5 minutes); returns its cron job id.';
REVOKE ALL ON FUNCTION @extschema@.tthub_schedule_refresh(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tthub_unschedule_refresh() RETURNS boolean
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
  RETURN @extschema@._cron_unschedule('tthub-refresh');
COMMENT ON FUNCTION @extschema@.tthub_unschedule_refresh() IS 'Remove the pg_cron job "tthub-refresh"; false if there was none.';
REVOKE ALL ON FUNCTION @extschema@.tthub_unschedule_refresh() FROM PUBLIC;

------------------------------------------------------------------------------
-- Reporting (issue 19). Every view groups or joins on store_code, so a query for one
-- store runs on one shard on Citus (test/citus/).
------------------------------------------------------------------------------

-- A counter at time `at`, interpolated linearly between the observation before
-- (ARRAY[epoch, value]) and the one after; NULL unless both exist.
CREATE OR REPLACE FUNCTION @extschema@._interpolate(before float8[], after float8[], at float8, counter integer) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF before IS NULL OR after IS NULL OR before[counter] IS NULL OR after[counter] IS NULL THEN
    RETURN NULL;
  END IF;
  IF after[1] = before[1] THEN
    RETURN round(before[counter])::bigint;
  END IF;
  RETURN round(before[counter] + (after[counter] - before[counter]) * (at - before[1]) / (after[1] - before[1]))::bigint;
END
$$;
COMMENT ON FUNCTION @extschema@._interpolate(float8[], float8[], float8, integer) IS
  'Internal: a counter''s value at time at (epoch seconds), linear between the observation before and the one after, each ARRAY[epoch, views, likes, comments, shares]; counter is the element (2: views); NULL unless both exist.';
GRANT EXECUTE ON FUNCTION @extschema@._interpolate(float8[], float8[], float8, integer) TO tthub_admin, tthub_reader;

-- Per video: the counters at fixed ages after posting. For each age, the latest
-- observation at or before it and the earliest at or after it bracket it: max/min of
-- ARRAY[epoch, views, likes, comments, shares], which compare by time first. One
-- join and one aggregate grouped by the video's key (a store's curves run on its
-- shard); each age's bracket is found once and serves every counter.
CREATE OR REPLACE VIEW @extschema@.video_curve AS
  SELECT c.store_code, c.video_id, c.open_id, c.title, c.create_time,
         @extschema@._interpolate(c.before_1h, c.after_1h, c.t0 + 3600, 2) AS views_1h,
         @extschema@._interpolate(c.before_6h, c.after_6h, c.t0 + 21600, 2) AS views_6h,
         @extschema@._interpolate(c.before_24h, c.after_24h, c.t0 + 86400, 2) AS views_24h,
         @extschema@._interpolate(c.before_48h, c.after_48h, c.t0 + 172800, 2) AS views_48h,
         @extschema@._interpolate(c.before_7d, c.after_7d, c.t0 + 604800, 2) AS views_7d,
         @extschema@._interpolate(c.before_24h, c.after_24h, c.t0 + 86400, 3) AS likes_24h,
         @extschema@._interpolate(c.before_24h, c.after_24h, c.t0 + 86400, 4) AS comments_24h,
         @extschema@._interpolate(c.before_24h, c.after_24h, c.t0 + 86400, 5) AS shares_24h,
         round(@extschema@._interpolate(c.before_24h, c.after_24h, c.t0 + 86400, 2) / 24.0, 2)::numeric(21, 2)
           AS views_per_hour_24h,
         c.observations
    FROM (SELECT v.store_code, v.video_id, v.open_id, v.title, v.create_time,
                 extract(epoch FROM v.create_time)::float8 AS t0,
                 max(o.point) FILTER (WHERE o.observed_at <= v.create_time + interval '1 hour') AS before_1h,
                 min(o.point) FILTER (WHERE o.observed_at >= v.create_time + interval '1 hour') AS after_1h,
                 max(o.point) FILTER (WHERE o.observed_at <= v.create_time + interval '6 hours') AS before_6h,
                 min(o.point) FILTER (WHERE o.observed_at >= v.create_time + interval '6 hours') AS after_6h,
                 max(o.point) FILTER (WHERE o.observed_at <= v.create_time + interval '24 hours') AS before_24h,
                 min(o.point) FILTER (WHERE o.observed_at >= v.create_time + interval '24 hours') AS after_24h,
                 max(o.point) FILTER (WHERE o.observed_at <= v.create_time + interval '48 hours') AS before_48h,
                 min(o.point) FILTER (WHERE o.observed_at >= v.create_time + interval '48 hours') AS after_48h,
                 max(o.point) FILTER (WHERE o.observed_at <= v.create_time + interval '7 days') AS before_7d,
                 min(o.point) FILTER (WHERE o.observed_at >= v.create_time + interval '7 days') AS after_7d,
                 count(o.video_id) AS observations
            FROM @extschema@.videos v
            LEFT JOIN (SELECT x.store_code, x.video_id, x.observed_at,
                              ARRAY[extract(epoch FROM x.observed_at), x.view_count, x.like_count, x.comment_count,
                                    x.share_count]::float8[] AS point
                         FROM @extschema@.video_observations x) o
              ON o.store_code = v.store_code AND o.video_id = v.video_id
           GROUP BY v.store_code, v.video_id) c;
COMMENT ON VIEW @extschema@.video_curve IS
  'Each video''s launch curve: its counters 1 h, 6 h, 24 h, 48 h and 7 days after posting, each interpolated linearly between the two observations that bracket that moment; NULL where no observation lies on one side (not yet reached, or not observed then: observations past tthub.observation_retention are gone).';
COMMENT ON COLUMN @extschema@.video_curve.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.video_curve.video_id IS 'TikTok video id.';
COMMENT ON COLUMN @extschema@.video_curve.open_id IS 'Account that posted the video.';
COMMENT ON COLUMN @extschema@.video_curve.title IS 'Video title.';
COMMENT ON COLUMN @extschema@.video_curve.create_time IS 'When the video was posted.';
COMMENT ON COLUMN @extschema@.video_curve.views_1h IS 'Views 1 hour after posting (interpolated; NULL when not bracketed by observations).';
COMMENT ON COLUMN @extschema@.video_curve.views_6h IS 'Views 6 hours after posting.';
COMMENT ON COLUMN @extschema@.video_curve.views_24h IS 'Views 24 hours after posting.';
COMMENT ON COLUMN @extschema@.video_curve.views_48h IS 'Views 48 hours after posting.';
COMMENT ON COLUMN @extschema@.video_curve.views_7d IS 'Views 7 days after posting.';
COMMENT ON COLUMN @extschema@.video_curve.likes_24h IS 'Likes 24 hours after posting.';
COMMENT ON COLUMN @extschema@.video_curve.comments_24h IS 'Comments 24 hours after posting.';
COMMENT ON COLUMN @extschema@.video_curve.shares_24h IS 'Shares 24 hours after posting.';
COMMENT ON COLUMN @extschema@.video_curve.views_per_hour_24h IS 'views_24h / 24: the first day''s average views per hour, 2 decimals.';
COMMENT ON COLUMN @extschema@.video_curve.observations IS 'Observations of the video kept (tthub.video_observations).';

CREATE OR REPLACE VIEW @extschema@.video_cohorts AS
  SELECT c.store_code,
         (c.create_time AT TIME ZONE @extschema@._day_zone(s.timezone))::date AS posted_date,
         count(*) AS videos_posted,
         count(c.views_24h) AS videos_with_24h,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY c.views_24h))::numeric(21, 1) AS median_views_24h,
         count(c.views_7d) AS videos_with_7d,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY c.views_7d))::numeric(21, 1) AS median_views_7d
    FROM @extschema@.video_curve c
    JOIN @extschema@.stores s ON s.store_code = c.store_code
   WHERE c.create_time IS NOT NULL
   GROUP BY c.store_code, 2;
COMMENT ON VIEW @extschema@.video_cohorts IS
  'Per store and posting day (the store''s own day: its time zone, else tthub.snapshot_timezone): the videos posted and the median of their views 24 h and 7 days after posting (over the videos whose curve has that point).';
COMMENT ON COLUMN @extschema@.video_cohorts.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.video_cohorts.posted_date IS 'Day the videos were posted, in the store''s time zone (tthub_set_store_timezone; else tthub.snapshot_timezone).';
COMMENT ON COLUMN @extschema@.video_cohorts.videos_posted IS 'Videos posted that day (known to tthub, deleted ones included).';
COMMENT ON COLUMN @extschema@.video_cohorts.videos_with_24h IS 'Of those, videos with a views_24h point.';
COMMENT ON COLUMN @extschema@.video_cohorts.median_views_24h IS 'Median views 24 hours after posting.';
COMMENT ON COLUMN @extschema@.video_cohorts.videos_with_7d IS 'Of those, videos with a views_7d point.';
COMMENT ON COLUMN @extschema@.video_cohorts.median_views_7d IS 'Median views 7 days after posting.';

-- Per store and tier, how fresh tthub keeps the videos and what it spent today.
CREATE OR REPLACE VIEW @extschema@.refresh_freshness AS
  SELECT s.store_code, t.tier,
         coalesce(x.videos, 0) AS videos, coalesce(x.never_observed, 0) AS videos_never_observed,
         x.oldest_latest_observation, x.age_p50_seconds, x.age_p95_seconds,
         coalesce(k.calls, 0) AS calls_today
    FROM @extschema@.stores s
   CROSS JOIN unnest(ARRAY['fresh', 'young', 'old']) AS t(tier)
    LEFT JOIN (SELECT v.store_code, @extschema@._video_tier(v.create_time, b.fresh_after, b.young_after) AS tier,
                      count(*) AS videos,
                      count(*) FILTER (WHERE v.last_observed_at IS NULL) AS never_observed,
                      min(v.last_observed_at) AS oldest_latest_observation,
                      (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM now() - coalesce(v.last_observed_at, v.first_seen_at))))::numeric(21, 1)
                        AS age_p50_seconds,
                      (percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM now() - coalesce(v.last_observed_at, v.first_seen_at))))::numeric(21, 1)
                        AS age_p95_seconds
                 FROM @extschema@.videos v CROSS JOIN @extschema@._tier_bounds() b
                WHERE v.removed_at IS NULL
                GROUP BY v.store_code, 2) x ON x.store_code = s.store_code AND x.tier = t.tier
    LEFT JOIN (SELECT c.store_code, c.tier, c.calls FROM @extschema@.refresh_calls c
                WHERE c.call_date = (now() AT TIME ZONE 'UTC')::date) k ON k.store_code = s.store_code AND k.tier = t.tier;
COMMENT ON VIEW @extschema@.refresh_freshness IS
  'Per store and refresh tier (three rows per store): the public videos, how old their latest observations are (the achieved interval: p50 and p95 of the age of each video''s latest observation), and the TikTok calls the refresh spent on the tier today (UTC).';
COMMENT ON COLUMN @extschema@.refresh_freshness.store_code IS 'Store.';
COMMENT ON COLUMN @extschema@.refresh_freshness.tier IS 'fresh, young or old (by the video''s age now; tthub.fresh_video_age, tthub.young_video_age).';
COMMENT ON COLUMN @extschema@.refresh_freshness.videos IS 'Public videos in the tier.';
COMMENT ON COLUMN @extschema@.refresh_freshness.videos_never_observed IS 'Of those, videos not observed yet (their age counts from when tthub first saw them).';
COMMENT ON COLUMN @extschema@.refresh_freshness.oldest_latest_observation IS 'The stalest video''s latest observation.';
COMMENT ON COLUMN @extschema@.refresh_freshness.age_p50_seconds IS 'Median age of the videos'' latest observations, in seconds (the achieved interval).';
COMMENT ON COLUMN @extschema@.refresh_freshness.age_p95_seconds IS '95th percentile of that age, in seconds.';
COMMENT ON COLUMN @extschema@.refresh_freshness.calls_today IS 'TikTok requests the refresh spent on the tier today (UTC): video/query by tier, discovery (a list call, or a user/info read standing in for one) as fresh, other user/info reads by the account''s fastest tier, the full video/list pass as old.';

GRANT SELECT ON @extschema@.video_curve, @extschema@.video_cohorts, @extschema@.refresh_freshness TO tthub_admin;

-- The same per tier over every store: what the metrics export.
-- Not a client's: a client reader gets no row (the gate above a fence, as in 64-metrics).
CREATE OR REPLACE VIEW tthub_reporting.metrics_refresh_tiers WITH (security_barrier) AS
  SELECT * FROM (
  SELECT t.tier, coalesce(x.videos, 0)::float8 AS videos,
         coalesce(x.p50, 0)::float8 AS age_p50_seconds, coalesce(x.p95, 0)::float8 AS age_p95_seconds,
         coalesce(k.calls, 0)::float8 AS calls_today
    FROM unnest(ARRAY['fresh', 'young', 'old']) WITH ORDINALITY AS t(tier, n)
    LEFT JOIN (SELECT @extschema@._video_tier(v.create_time, b.fresh_after, b.young_after) AS tier, count(*) AS videos,
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM now() - coalesce(v.last_observed_at, v.first_seen_at))) AS p50,
                      percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM now() - coalesce(v.last_observed_at, v.first_seen_at))) AS p95
                 FROM @extschema@.videos v CROSS JOIN @extschema@._tier_bounds() b
                WHERE v.removed_at IS NULL GROUP BY 1) x ON x.tier = t.tier
    LEFT JOIN (SELECT c.tier, sum(c.calls) AS calls FROM @extschema@.refresh_calls c
                WHERE c.call_date = (now() AT TIME ZONE 'UTC')::date GROUP BY c.tier) k ON k.tier = t.tier
   ORDER BY t.n
  OFFSET 0) q
   WHERE (SELECT @extschema@._reads_all_stores(CURRENT_USER));
COMMENT ON VIEW tthub_reporting.metrics_refresh_tiers IS
  'tthub_refresh_videos, tthub_refresh_age_p50_seconds, tthub_refresh_age_p95_seconds and tthub_refresh_calls_today{tier}: the achieved refresh interval per tier over every store.';
COMMENT ON COLUMN tthub_reporting.metrics_refresh_tiers.tier IS 'fresh, young or old.';
COMMENT ON COLUMN tthub_reporting.metrics_refresh_tiers.videos IS 'Public videos in the tier.';
COMMENT ON COLUMN tthub_reporting.metrics_refresh_tiers.age_p50_seconds IS 'Median age of their latest observations (seconds): the achieved interval.';
COMMENT ON COLUMN tthub_reporting.metrics_refresh_tiers.age_p95_seconds IS '95th percentile of that age (seconds).';
COMMENT ON COLUMN tthub_reporting.metrics_refresh_tiers.calls_today IS 'TikTok requests the refresh spent on the tier today (UTC).';
GRANT SELECT ON tthub_reporting.metrics_refresh_tiers TO tthub_reader, tthub_admin;

-- What readers read (per store or video: made by _create_reporting_view, with the
-- client's filter and the client, labels, video_labels columns, functions/15-clients.sql):
-- videos with a cover only while its link works (TikTok's links
-- expire 6 hours after they are handed out, reference section 8).
SELECT @extschema@._create_reporting_view('videos', $q$
  SELECT store_code, video_id, open_id, title, description, create_time, duration, height, width, share_url,
         embed_link,
         CASE WHEN cover_fetched_at > now() - interval '6 hours' THEN cover_image_url END AS cover_image_url,
         cover_fetched_at,
         view_count, like_count, comment_count, share_count, first_seen_at, last_seen_at, last_observed_at, removed_at,
         @extschema@._video_tier(create_time, b.fresh_after, b.young_after) AS tier
    FROM @extschema@.videos CROSS JOIN @extschema@._tier_bounds() b $q$, 'video');
COMMENT ON VIEW tthub_reporting.videos IS
  'One row per video: metadata, latest counters, first and last seen, removed_at, its refresh tier; the cover link only while it works (6 hours after TikTok handed it out, cover_fetched_at).';
SELECT @extschema@._create_reporting_view('video_observations', $q$
  SELECT store_code, open_id, video_id, observed_at, view_count, like_count, comment_count, share_count
    FROM @extschema@.video_observations $q$, 'video');
SELECT @extschema@._create_reporting_view('video_curve', $q$
  SELECT store_code, video_id, open_id, title, create_time, views_1h, views_6h, views_24h, views_48h, views_7d,
         likes_24h, comments_24h, shares_24h, views_per_hour_24h, observations
    FROM @extschema@.video_curve $q$, 'video');
SELECT @extschema@._create_reporting_view('video_cohorts', $q$
  SELECT store_code, posted_date, videos_posted, videos_with_24h, median_views_24h, videos_with_7d, median_views_7d
    FROM @extschema@.video_cohorts $q$, 'store');
SELECT @extschema@._create_reporting_view('refresh_freshness', $q$
  SELECT store_code, tier, videos, videos_never_observed, oldest_latest_observation, age_p50_seconds, age_p95_seconds,
         calls_today
    FROM @extschema@.refresh_freshness $q$, 'store');
COMMENT ON COLUMN tthub_reporting.videos.cover_image_url IS 'Cover image link while it works; NULL once 6 hours passed since cover_fetched_at (TikTok''s links expire).';
COMMENT ON COLUMN tthub_reporting.videos.tier IS 'Refresh tier now: fresh, young or old.';
