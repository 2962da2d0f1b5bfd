-- Token decryption errors, as a DBA reads them: a tampered, truncated or misplaced
-- ciphertext fails with one clear error (TH001) whose DETAIL says which.
-- Needs the server's token key (tthub.token_key_file). On a server without one this
-- test checks only that encryption is refused with 55000 and says the rest was
-- skipped (expected/tokens_1.out). The SQL functions' behaviour: test/pgtap/tokens.sql;
-- the envelope itself: test/unit/token_crypto_test.cpp.
CREATE FUNCTION pg_temp.token_key_loaded() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tthub.tthub_encrypt_token('probe');
  RETURN true;
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RETURN false;
END
$$;
SELECT pg_temp.token_key_loaded() AS token_key_loaded \gset
\if :token_key_loaded
CREATE TEMP TABLE ct AS SELECT tthub.tthub_encrypt_token('act.example', 'jkt-01/open-1/access_token') AS v;
-- Tampered body, tag, header; truncated; wrong context: one clear error, TH001.
SELECT tthub.tthub_decrypt_token(set_byte(v, 20, get_byte(v, 20) # 1), 'jkt-01/open-1/access_token') FROM ct;
\echo :LAST_ERROR_SQLSTATE
SELECT tthub.tthub_decrypt_token(set_byte(v, length(v) - 1, get_byte(v, length(v) - 1) # 128), 'jkt-01/open-1/access_token') FROM ct;
SELECT tthub.tthub_decrypt_token(set_byte(v, 2, get_byte(v, 2) # 1), 'jkt-01/open-1/access_token') FROM ct;
SELECT tthub.tthub_decrypt_token(set_byte(v, 0, 2), 'jkt-01/open-1/access_token') FROM ct;
SELECT tthub.tthub_decrypt_token(substring(v FROM 1 FOR 32), 'jkt-01/open-1/access_token') FROM ct;
SELECT tthub.tthub_decrypt_token(''::bytea, 'jkt-01/open-1/access_token');
SELECT tthub.tthub_decrypt_token(v, 'jkt-02/open-1/access_token') FROM ct;
SELECT tthub.tthub_decrypt_token(v, tthub.token_context('jkt-01', 'open-1', 'refresh_token')) FROM ct;
SELECT tthub.tthub_decrypt_token(v, tthub.token_context('jkt-01', 'open-1', 'access_token')) AS right_context FROM ct;
\else
\echo 'SKIPPED: this server has no token key (tthub.token_key_file), so encryption is refused:'
SELECT tthub.tthub_encrypt_token('act.example', 'ctx');
\echo :LAST_ERROR_SQLSTATE
\endif
