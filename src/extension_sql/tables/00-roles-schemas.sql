------------------------------------------------------------------------------
-- The schema. CREATE EXTENSION adopts a schema named tthub that exists already; one
-- that a role other than a superuser owns, or may CREATE in, could hold that role's
-- overloads of tthub's functions, which superuser code (the worker, SECURITY DEFINER
-- functions) would then call. Refused before anything else runs, by a block that
-- names only pg_catalog's functions and operators (the schema is on the script's
-- search_path).
------------------------------------------------------------------------------
DO $schema$
DECLARE
  owner_name name;
  owner_super boolean;
  creators text;
BEGIN
  SELECT r.rolname, r.rolsuper INTO owner_name, owner_super
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
   WHERE n.nspname OPERATOR(pg_catalog.=) '@extschema@'::name;
  SELECT pg_catalog.string_agg(DISTINCT coalesce(r.rolname::text, 'PUBLIC'), ', ') INTO creators
    FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
    LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
   WHERE n.nspname OPERATOR(pg_catalog.=) '@extschema@'::name
     AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'::text AND NOT coalesce(r.rolsuper, false);
  IF NOT owner_super OR creators IS NOT NULL THEN
    RAISE EXCEPTION 'schema "@extschema@" exists already and is open to a role that is not a superuser'
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = CASE WHEN NOT owner_super THEN pg_catalog.format('It is owned by %I.', owner_name)
                          ELSE pg_catalog.format('CREATE on it is granted to %s.', creators) END,
            HINT = 'Whoever can create objects in it could put functions there that tthub''s superuser code would '
                   'call. Look at what it holds, then drop it (or make a superuser its owner and revoke CREATE), '
                   'and create the extension again.';
  END IF;
END
$schema$;

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
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tthub_oauth') THEN
    CREATE ROLE tthub_oauth NOLOGIN;
  END IF;
END
$roles$;

------------------------------------------------------------------------------
-- The tthub schema (made by CREATE EXTENSION). Readers keep nothing in it: no
-- schema usage (tools that list what a role can use skip it), no table or column
-- grant; they read tthub_reporting.
------------------------------------------------------------------------------
REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO tthub_admin;
GRANT USAGE ON SCHEMA @extschema@ TO tthub_oauth;

------------------------------------------------------------------------------
-- tthub_reporting: what readers read. Plain views over tthub (they run with the
-- extension owner's rights, so readers need no privilege in tthub), under the
-- same names and column names, with status values as text
-- (functions/62-reporting.sql).
--
--  * tthub_reporting: a schema holding what tthub_reader may read and nothing else.
--    A BI tool that lists what its role can use does not show store_accounts,
--    oauth_states or token column names, and status values there are text (a JDBC
--    client binding a string parameter cannot compare it with an enum).
------------------------------------------------------------------------------
CREATE SCHEMA tthub_reporting;
COMMENT ON SCHEMA tthub_reporting IS
  'tthub''s data for tthub_reader (BI tools, analysts): snapshots, reporting views, stores, accounts, jobs, logs and health; never a token. Status columns are text.';
REVOKE ALL ON SCHEMA tthub_reporting FROM PUBLIC;
GRANT USAGE ON SCHEMA tthub_reporting TO tthub_reader, tthub_admin;
