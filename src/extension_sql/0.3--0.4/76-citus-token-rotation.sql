------------------------------------------------------------------------------
-- Citus: key rotation on the coordinator, row by row. Crypto inside a query over a
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
REVOKE ALL ON FUNCTION @extschema@.tthub_rotate_token_key() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.tthub_rotate_token_key() IS
  'Re-encrypts every stored token with the current key (in one transaction, on the coordinator); returns how many tokens were rewritten. Superusers only.';
