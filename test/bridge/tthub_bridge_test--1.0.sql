\echo Use "CREATE EXTENSION tthub_bridge_test" to load this file. \quit
-- Runs sql through pg_guard inside with_subtransaction while a C++ object is alive;
-- returns what C++ caught. The destructor count shows no destructor was skipped.
CREATE FUNCTION bridge_catch_pg_error(sql text) RETURNS text
  LANGUAGE c STRICT AS 'MODULE_PATHNAME';
-- Throws a C++ exception of the given kind from a SQL entry point.
CREATE FUNCTION bridge_throw(kind text) RETURNS void
  LANGUAGE c STRICT AS 'MODULE_PATHNAME';
-- Destructors of bridge-test objects run so far in this backend.
CREATE FUNCTION bridge_destructor_count() RETURNS integer
  LANGUAGE c STRICT AS 'MODULE_PATHNAME';
-- tthub's make_text on arbitrary bytes: invalid in the database encoding or a NUL
-- must fail (22021) rather than store what pg_restore would reject.
CREATE FUNCTION bridge_make_text(bytes bytea) RETURNS text
  LANGUAGE c STRICT AS 'MODULE_PATHNAME';
