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
