-- Token encryption (C++, AES-256-GCM) and key rotation.

CREATE OR REPLACE FUNCTION @extschema@.tthub_encrypt_token(plaintext text, context text DEFAULT '')
  RETURNS bytea LANGUAGE c VOLATILE STRICT
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_encrypt_token';
COMMENT ON FUNCTION @extschema@.tthub_encrypt_token(text, text) IS
  'AES-256-GCM encrypts a token with the current key; context is authenticated data (use tthub.token_context).';
REVOKE ALL ON FUNCTION @extschema@.tthub_encrypt_token(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_encrypt_token(text, text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_decrypt_token(ciphertext bytea, context text DEFAULT '')
  RETURNS text LANGUAGE c VOLATILE STRICT
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_decrypt_token';
COMMENT ON FUNCTION @extschema@.tthub_decrypt_token(bytea, text) IS
  'Decrypts a token envelope (current or previous key). Superusers only; fails with TH001 on any tampering.';
REVOKE ALL ON FUNCTION @extschema@.tthub_decrypt_token(bytea, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._token_key_is_current(ciphertext bytea) RETURNS boolean
  LANGUAGE c VOLATILE STRICT
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_token_key_is_current';
COMMENT ON FUNCTION @extschema@._token_key_is_current(bytea) IS
  'Internal: whether an envelope names the current key.';
REVOKE ALL ON FUNCTION @extschema@._token_key_is_current(bytea) FROM PUBLIC;

-- Whether the server can read the stored tokens: a key loaded, and every stored
-- token's key id the current or the previous key's. Read from every backend's copy of
-- the keys (loaded at server start); SECURITY DEFINER: it reads the key ids of the
-- stored envelopes, never a token.
CREATE OR REPLACE FUNCTION @extschema@._token_key_loaded() RETURNS integer
  LANGUAGE c VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_token_key_loaded';
COMMENT ON FUNCTION @extschema@._token_key_loaded() IS
  'Internal: 1 when the server has a token key that reads every stored token (current or previous key id), 0 when the key is missing, unreadable or does not know a stored token''s key id (a rotation without tthub.token_key_previous_file).';
REVOKE ALL ON FUNCTION @extschema@._token_key_loaded() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._token_key_loaded() TO tthub_admin, tthub_reader;

CREATE OR REPLACE FUNCTION @extschema@._reencrypt_token(ciphertext bytea, context text) RETURNS bytea
  LANGUAGE c VOLATILE STRICT
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_reencrypt_token';
COMMENT ON FUNCTION @extschema@._reencrypt_token(bytea, text) IS
  'Internal: decrypts with the current or previous key and encrypts again with the current key.';
REVOKE ALL ON FUNCTION @extschema@._reencrypt_token(bytea, text) FROM PUBLIC;

-- Defined once, in C++ (src/core/secret_context.h): the worker and OAuth encrypt with
-- the same string without asking the database for it.
CREATE OR REPLACE FUNCTION @extschema@.token_context(store_code text, open_id text, token_kind text)
  RETURNS text LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_token_context';
COMMENT ON FUNCTION @extschema@.token_context(text, text, text) IS
  'The authenticated context of a stored token: a ciphertext copied to another store, account or column fails to decrypt.';

------------------------------------------------------------------------------
-- Citus: key rotation on the coordinator, row by row, tokens and webhook secrets. Crypto inside a query over a
-- distributed table would run on the worker nodes, which hold no key (0.3's single
-- UPDATE silently took every token for current there, or failed). Here every
-- envelope is read into a variable, re-encrypted on the coordinator and written back
-- with a one-row UPDATE. The table lock keeps a concurrent token refresh from
-- writing a token this transaction then overwrites.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_rotate_token_key() RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  access_enc bytea;
  refresh_enc bytea;
  rewritten bigint := 0;
BEGIN
  PERFORM @extschema@._require_coordinator('tthub_rotate_token_key');
  -- The webhooks' signing secrets are under the same key (40-alerts.sql). First: on
  -- Citus, a reference table is not modified after a parallel multi-shard query in the
  -- same transaction, and one connection per node keeps it so below.
  rewritten := @extschema@._reencrypt_webhook_secrets();
  IF @extschema@._citus_node_role() = 'coordinator' THEN
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
  END IF;
  LOCK TABLE @extschema@.store_accounts IN EXCLUSIVE MODE;
  FOR r IN
    SELECT a.store_code, a.open_id, a.access_token_enc, a.refresh_token_enc
      FROM @extschema@.store_accounts a
     WHERE a.access_token_enc IS NOT NULL OR a.refresh_token_enc IS NOT NULL
     ORDER BY a.store_code, a.open_id
  LOOP
    access_enc := r.access_token_enc;
    refresh_enc := r.refresh_token_enc;
    IF access_enc IS NOT NULL AND NOT @extschema@._token_key_is_current(access_enc) THEN
      access_enc := @extschema@._reencrypt_token(access_enc,
                      @extschema@.token_context(r.store_code, r.open_id, 'access_token'));
      rewritten := rewritten + 1;
    END IF;
    IF refresh_enc IS NOT NULL AND NOT @extschema@._token_key_is_current(refresh_enc) THEN
      refresh_enc := @extschema@._reencrypt_token(refresh_enc,
                       @extschema@.token_context(r.store_code, r.open_id, 'refresh_token'));
      rewritten := rewritten + 1;
    END IF;
    IF access_enc IS DISTINCT FROM r.access_token_enc OR refresh_enc IS DISTINCT FROM r.refresh_token_enc THEN
      UPDATE @extschema@.store_accounts a
         SET access_token_enc = access_enc, refresh_token_enc = refresh_enc
       WHERE a.store_code = r.store_code AND a.open_id = r.open_id;
    END IF;
  END LOOP;
  RETURN rewritten;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_rotate_token_key() IS
  'Re-encrypts every stored token and webhook signing secret with the current key (in one transaction, on the coordinator); returns how many were rewritten. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_rotate_token_key() FROM PUBLIC;
