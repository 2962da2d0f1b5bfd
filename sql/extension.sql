-- CREATE EXTENSION builds the documented schema; DROP ... CASCADE and CREATE again work.
CREATE EXTENSION tthub;
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'tthub';
SELECT c.relname, c.relkind
  FROM pg_class c
 WHERE c.relnamespace = 'tthub'::regnamespace AND c.relkind IN ('r', 'v', 'p')
 ORDER BY 1;
-- Every primary key and unique constraint of a store-data table includes store_code.
SELECT conrelid::regclass AS tbl, conname, pg_get_constraintdef(oid) AS def
  FROM pg_constraint
 WHERE connamespace = 'tthub'::regnamespace AND contype IN ('p', 'u')
 ORDER BY conrelid::regclass::text, conname;
-- The exceptions, oauth_states and oauth_invites, are looked up by a random token
-- alone, and webhooks by their id (Citus reference tables).
SELECT conrelid::regclass AS tbl, conname
  FROM pg_constraint
 WHERE connamespace = 'tthub'::regnamespace AND contype IN ('p', 'u')
   AND NOT EXISTS (SELECT 1 FROM unnest(conkey) k
                     JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k
                    WHERE a.attname = 'store_code')
 ORDER BY conrelid::regclass::text;
-- Counters are bigint; timestamps timestamptz.
SELECT attrelid::regclass AS tbl, attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute
 WHERE attrelid IN ('tthub.user_daily'::regclass, 'tthub.video_daily'::regclass)
   AND (attname LIKE '%\_count' OR attname LIKE '%\_at')
 ORDER BY attrelid::regclass::text, attname;
-- Tables whose data pg_dump keeps.
SELECT c::regclass AS dumped FROM pg_extension, unnest(extconfig) AS c WHERE extname = 'tthub' ORDER BY c::regclass::text;
-- What tthub_reader reads: the views of tthub_reporting, and nothing in tthub.
SELECT c.relname, c.relkind
  FROM pg_class c
 WHERE c.relnamespace = 'tthub_reporting'::regnamespace
 ORDER BY 1;
SELECT has_schema_privilege('tthub_reader', 'tthub', 'USAGE') AS reader_uses_tthub,
       has_schema_privilege('tthub_reader', 'tthub_reporting', 'USAGE') AS reader_uses_tthub_reporting;
DROP EXTENSION tthub CASCADE;
SELECT count(*) AS tthub_relations_left FROM pg_class WHERE relnamespace = 'tthub'::regnamespace;
SELECT count(*) AS tthub_functions_left FROM pg_proc WHERE pronamespace = 'tthub'::regnamespace;
SELECT to_regnamespace('tthub_reporting') IS NULL AS tthub_reporting_dropped;
CREATE EXTENSION tthub;
SELECT rolname FROM pg_roles WHERE rolname LIKE 'tthub\_%' ORDER BY 1;
