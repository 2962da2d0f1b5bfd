-- Snapshots: the snapshot day, and retention of snapshots, jobs, logs and OAuth rows.

-- The snapshot day: the rule is tthub._day_in (functions/10-stores.sql).
-- A SQL-standard body without SET, so that it is inlined (functions/10-stores.sql).
CREATE OR REPLACE FUNCTION @extschema@.snapshot_today() RETURNS date
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN @extschema@._day_in(NULL);
COMMENT ON FUNCTION @extschema@.snapshot_today() IS
  'Today in tthub.snapshot_timezone: the snapshot day of a store without a time zone of its own.';

-- PL/pgSQL: Citus cannot plan a parameterised LANGUAGE sql function over its tables.
CREATE OR REPLACE FUNCTION @extschema@.store_today(store_code text) RETURNS date
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tz text;
BEGIN
  SELECT s.timezone INTO tz FROM @extschema@.stores s WHERE s.store_code = store_today.store_code;
  RETURN @extschema@._day_in(tz);
END
$$;
COMMENT ON FUNCTION @extschema@.store_today(text) IS
  'Today in the store''s time zone (tthub.snapshot_timezone when it has none): the snapshot day a sync of the store started now writes.';
REVOKE ALL ON FUNCTION @extschema@.store_today(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.store_today(text) TO tthub_admin;

------------------------------------------------------------------------------
-- Retention of snapshots (for pg_cron)
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_prune_snapshots(keep_days integer, table_name text DEFAULT 'all') RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cutoff date;
  n bigint;
  total bigint := 0;
BEGIN
  IF keep_days IS NULL OR keep_days < 1 THEN
    RAISE EXCEPTION 'keep_days must be at least 1' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF table_name NOT IN ('all', 'user_daily', 'video_daily', 'sync_ledger') THEN
    RAISE EXCEPTION 'table_name must be all, user_daily, video_daily or sync_ledger'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cutoff := @extschema@.snapshot_today() - keep_days;
  IF table_name IN ('all', 'video_daily') THEN
    DELETE FROM @extschema@.video_daily WHERE snapshot_date < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
  END IF;
  IF table_name IN ('all', 'user_daily') THEN
    DELETE FROM @extschema@.user_daily WHERE snapshot_date < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
  END IF;
  IF table_name IN ('all', 'sync_ledger') THEN
    DELETE FROM @extschema@.sync_ledger WHERE snapshot_date < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    total := total + n;
  END IF;
  RETURN total;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_prune_snapshots(integer, text) IS
  'Delete snapshots older than keep_days (from all snapshot tables, or one); returns rows deleted. For pg_cron.';
REVOKE ALL ON FUNCTION @extschema@.tthub_prune_snapshots(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_prune_snapshots(integer, text) TO tthub_admin;

-- PL/pgSQL: Citus cannot plan a parameterised LANGUAGE sql function over its tables.
CREATE OR REPLACE FUNCTION @extschema@._prune(retention_days integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cutoff timestamptz := now() - make_interval(days => retention_days);
  n bigint;
  total bigint := 0;
BEGIN
  total := total + @extschema@._prune_jobs(cutoff);
  DELETE FROM @extschema@.sync_logs WHERE started_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  total := total + @extschema@._prune_tiktok_events(cutoff);
  RETURN total + @extschema@._prune_oauth(cutoff);
END
$$;
COMMENT ON FUNCTION @extschema@._prune(integer) IS
  'Internal: delete finished jobs and sync logs older than the retention, OAuth states expired a day ago, connect links expired longer than the retention, and TikTok''s webhook events older than the retention (at least 4 days).';
REVOKE ALL ON FUNCTION @extschema@._prune(integer) FROM PUBLIC;
