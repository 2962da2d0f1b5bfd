-- Every function of the extension pins its search_path, so no role can put its own
-- function or operator where a superuser's call resolves a name, except the few whose
-- SQL-standard body (RETURN ...) binds every name when it is created (the day
-- functions and the tier rule: functions/10-stores.sql says why they are inlined).
BEGIN;
SELECT plan(6);

CREATE TEMP VIEW tthub_functions AS
  SELECT p.oid::regprocedure::text AS signature, p.proconfig, p.prosecdef, p.prosqlbody IS NOT NULL AS bound
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'tthub';

SELECT cmp_ok((SELECT count(*) FROM tthub_functions), '>=', 30::bigint, 'the extension''s functions are found');
SELECT is((SELECT string_agg(signature, ', ' ORDER BY signature) FROM tthub_functions
            WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (proconfig), false) AND NOT bound),
          NULL, 'every tthub function runs with search_path = pg_catalog, pg_temp, or has its names bound at CREATE');
SELECT is((SELECT string_agg(signature, ', ' ORDER BY signature COLLATE "C") FROM tthub_functions
            WHERE proconfig IS NULL),
          'tthub._day_in(text), tthub._day_zone(text), tthub._video_tier(timestamp with time zone,timestamp with time zone,timestamp with time zone), tthub.snapshot_today(), tthub_reporting.snapshot_today()',
          'the only ones without a pinned search_path are the day functions and the tier rule, all bound at CREATE');
-- They are inlined: a per-row filter on today costs an expression, not three calls
-- that each set and restore search_path (10-20x on video_daily_delta over 90 days).
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END $$;
SELECT unalike(pg_temp.plan_of($$ SELECT g FROM generate_series(1, 3) g WHERE current_date - g < tthub_reporting.snapshot_today() $$),
              '%snapshot_today%', 'tthub_reporting.snapshot_today() in a filter is inlined');
SELECT unalike(pg_temp.plan_of($$ SELECT g FROM generate_series(1, 3) g WHERE current_date - g < tthub.snapshot_today() $$),
              '%_day_in%', 'and so is tthub.snapshot_today(), down to the expression');
SELECT is((SELECT string_agg(signature, ', ' ORDER BY signature) FROM tthub_functions
            WHERE prosecdef AND has_function_privilege('public', signature, 'EXECUTE')),
          NULL, 'no SECURITY DEFINER function is executable by PUBLIC');

SELECT * FROM finish();
ROLLBACK;
