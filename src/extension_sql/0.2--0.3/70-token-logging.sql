------------------------------------------------------------------------------
-- Tokens, invites and codes passed as arguments stay out of the server log.
--
-- With log_min_error_statement at its default (error), a failing statement is logged
-- in full, literals included. The error is written while the failing function's
-- settings are still in force, so the SECURITY DEFINER functions that take a
-- plaintext token, an invite or a one-time code raise that threshold for their own
-- call. (After 40-invites.sql, which re-creates tthub_oauth_begin.) Applications should still
-- pass tokens as bind parameters (README: "Security"): log_statement =
-- 'all' logs every statement before it runs.
------------------------------------------------------------------------------
ALTER FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text)
  SET log_min_error_statement = panic;
ALTER FUNCTION @extschema@.tthub_oauth_begin(text, text) SET log_min_error_statement = panic;
ALTER FUNCTION @extschema@.tthub_oauth_complete(text, text) SET log_min_error_statement = panic;
