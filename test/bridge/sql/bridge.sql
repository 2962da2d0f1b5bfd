-- The Postgres <-> C++ error bridge, through the test-only tthub_bridge_test extension.
CREATE EXTENSION tthub_bridge_test;
-- A Postgres error under pg_guard becomes a C++ PgError with its SQLSTATE; the
-- subtransaction is rolled back and the outer transaction keeps working.
SELECT bridge_catch_pg_error('SELECT 1/0');
SELECT bridge_catch_pg_error('SELECT no_such_column FROM pg_class');
SELECT bridge_catch_pg_error('SELECT 1');
BEGIN;
SELECT bridge_catch_pg_error('SELECT 1/0');
SELECT 'still in a usable transaction' AS status;
COMMIT;
-- C++ exceptions reach SQL as ereport(ERROR) with a fitting SQLSTATE.
\set VERBOSITY default
SELECT bridge_throw('tthub');
\echo :LAST_ERROR_SQLSTATE
SELECT bridge_throw('std');
\echo :LAST_ERROR_SQLSTATE
SELECT bridge_throw('alloc');
\echo :LAST_ERROR_SQLSTATE
SELECT bridge_throw('unknown');
\echo :LAST_ERROR_SQLSTATE
SELECT bridge_throw('pg');
\echo :LAST_ERROR_SQLSTATE
SELECT bridge_throw('nothing');
-- Every C++ object alive during those errors was destroyed: 4 catch calls + 6 throws.
SELECT bridge_destructor_count();
-- make_text, which builds every text tthub stores from outside bytes, refuses what
-- pg_restore would reject (invalid UTF-8, a NUL byte) with 22021 and a message that
-- does not echo the bytes; valid multi-byte text passes.
SELECT bridge_make_text('\x61c328'::bytea);
\echo :LAST_ERROR_SQLSTATE
SELECT bridge_make_text('\x610062'::bytea);
\echo :LAST_ERROR_SQLSTATE
SELECT bridge_make_text(convert_to('caf' || chr(233) || ' ' || chr(128512), 'UTF8'));
DROP EXTENSION tthub_bridge_test;
