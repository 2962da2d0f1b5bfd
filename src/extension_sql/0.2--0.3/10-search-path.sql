------------------------------------------------------------------------------
-- Every function pins its search_path.
--
-- tthub's functions run as a superuser (SECURITY DEFINER, or called by the worker
-- and by DBAs). A function that resolves names through the caller's search_path
-- lets any role that can CREATE a schema or a function there put its own code in
-- place of a built-in: an operator `=(varchar, text)` or a `to_timestamp(numeric)`
-- matches more exactly than pg_catalog's and wins. Pinned to pg_catalog, pg_temp,
-- names resolve to built-ins only (pg_temp last: no function or operator is ever
-- looked up there), and tthub's own objects are always written @extschema@.x.
-- test/integration/search_path.sh plants such shadows and runs every path.
------------------------------------------------------------------------------
ALTER FUNCTION @extschema@.check_store_code(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.tthub_encrypt_token(text, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.tthub_decrypt_token(bytea, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._token_key_is_current(bytea) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._reencrypt_token(bytea, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.token_context(text, text, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.snapshot_today() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._wake_worker() SET search_path = pg_catalog, pg_temp;
-- tthub_sync_now runs the sync engine's statements in the caller's session.
ALTER FUNCTION @extschema@.tthub_sync_now(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._claim_jobs(integer, interval, integer) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._requeue_orphans(integer) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._random_state() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._form_encode(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@._prune(integer) SET search_path = pg_catalog, pg_temp;
