-- Every function of the extension pins its search_path, so no role can put its own
-- function or operator where a superuser's call resolves a name (10-search-path.sql).
BEGIN;
SELECT plan(3);

CREATE TEMP VIEW tthub_functions AS
  SELECT p.oid::regprocedure::text AS signature, p.proconfig, p.prosecdef
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'tthub';

SELECT cmp_ok((SELECT count(*) FROM tthub_functions), '>=', 30::bigint, 'the extension''s functions are found');
SELECT is((SELECT string_agg(signature, ', ' ORDER BY signature) FROM tthub_functions
            WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (proconfig), false)),
          NULL, 'every tthub function runs with search_path = pg_catalog, pg_temp');
SELECT is((SELECT string_agg(signature, ', ' ORDER BY signature) FROM tthub_functions
            WHERE prosecdef AND has_function_privilege('public', signature, 'EXECUTE')),
          NULL, 'no SECURITY DEFINER function is executable by PUBLIC');

SELECT * FROM finish();
ROLLBACK;
