-- Token encryption: AES-256-GCM envelope with authenticated context.
-- Needs the server's token key (tthub.token_key_file). On a server without one this
-- test checks only that encryption is refused with 55000 and says the rest was
-- skipped (expected/tokens_1.out).
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
SELECT tthub.tthub_decrypt_token(tthub.tthub_encrypt_token('act.example', 'ctx'), 'ctx') AS round_trip;
SELECT tthub.tthub_decrypt_token(tthub.tthub_encrypt_token('act.example')) AS default_context;
-- version 1 | key id (4) | IV (12) | ciphertext (11) | tag (16)
SELECT length(tthub.tthub_encrypt_token('act.example', 'ctx')) AS envelope_bytes,
       get_byte(tthub.tthub_encrypt_token('act.example', 'ctx'), 0) AS envelope_version;
SELECT tthub.tthub_encrypt_token('same', 'ctx') <> tthub.tthub_encrypt_token('same', 'ctx') AS fresh_iv;
SELECT position(convert_to('act.example', 'UTF8') IN tthub.tthub_encrypt_token('act.example', 'ctx')) AS plaintext_position;
SELECT tthub.tthub_encrypt_token(NULL, 'ctx') IS NULL AS null_in_null_out;
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
-- Rotation with every token already under the current key rewrites nothing.
INSERT INTO tthub.stores (store_code, store_name) VALUES ('rot', 'rotation');
INSERT INTO tthub.store_accounts (store_code, open_id, access_token_enc, refresh_token_enc)
VALUES ('rot', 'o1', tthub.tthub_encrypt_token('act.1', tthub.token_context('rot', 'o1', 'access_token')),
                     tthub.tthub_encrypt_token('rft.1', tthub.token_context('rot', 'o1', 'refresh_token')));
SELECT tthub.tthub_rotate_token_key() AS rewritten;
-- The key file's path is superuser-only; the key itself is never a setting.
SELECT name FROM pg_settings WHERE name LIKE 'tthub.%key%' ORDER BY 1;
SELECT count(*) AS settings_holding_64_hex FROM pg_settings WHERE setting ~ '[0-9a-f]{64}';
\else
\echo 'SKIPPED: this server has no token key (tthub.token_key_file), so encryption is refused:'
SELECT tthub.tthub_encrypt_token('act.example', 'ctx');
\echo :LAST_ERROR_SQLSTATE
\endif
