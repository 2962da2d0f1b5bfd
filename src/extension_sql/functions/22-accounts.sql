-- Accounts: what roles see of them, importing one, disconnecting.


-- Account rows without their token columns, read with the extension owner's rights.
-- Citus checks the privileges of whoever queries a view on the shards themselves
-- (citusdata/citus#1683), and column privileges (how roles may read store_accounts
-- without its tokens) never reach the shards: a reader's or an admin's query of
-- accounts, store_summary or health would fail there. Through this function the
-- shards are read by the owner; accounts are few (one row per TikTok account).
CREATE OR REPLACE FUNCTION @extschema@._accounts_without_tokens()
  RETURNS TABLE (store_code varchar(50), open_id varchar(128), display_name text, avatar_url text, scope text,
                 status @extschema@.account_status, status_reason text, token_expires_at timestamptz,
                 refresh_token_expires_at timestamptz, last_sync_at timestamptz, connected_at timestamptz,
                 updated_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT a.store_code, a.open_id, a.display_name, a.avatar_url, a.scope, a.status, a.status_reason,
         a.token_expires_at, a.refresh_token_expires_at, a.last_sync_at, a.connected_at, a.updated_at
    FROM @extschema@.store_accounts a
   -- A client reader's login gets its stores' rows only: on Citus it may call this
   -- directly (it holds USAGE on tthub there).
   WHERE NOT (SELECT pg_catalog.pg_has_role(session_user, 'tthub_client_reader', 'MEMBER'))
      OR a.store_code::text = ANY ((SELECT @extschema@._visible_store_codes(session_user))::text[])
$$;
COMMENT ON FUNCTION @extschema@._accounts_without_tokens() IS
  'Internal: every account row (a client reader''s login: its stores'' only) without its token columns, read with the extension owner''s rights (what tthub.accounts shows).';
REVOKE ALL ON FUNCTION @extschema@._accounts_without_tokens() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._accounts_without_tokens() TO tthub_admin, tthub_reader;

CREATE OR REPLACE VIEW @extschema@.accounts AS
  SELECT store_code::varchar(50) AS store_code, open_id::varchar(128) AS open_id, display_name, avatar_url, scope, status, status_reason,
         token_expires_at, refresh_token_expires_at, last_sync_at, connected_at, updated_at
    FROM @extschema@._accounts_without_tokens();
COMMENT ON VIEW @extschema@.accounts IS 'Connected TikTok accounts without their token columns.';
COMMENT ON COLUMN @extschema@.accounts.store_code IS 'Store the account belongs to.';
COMMENT ON COLUMN @extschema@.accounts.open_id IS 'TikTok''s id of the user within this app (stable account key).';
COMMENT ON COLUMN @extschema@.accounts.display_name IS 'Profile display name, refreshed at each sync.';
COMMENT ON COLUMN @extschema@.accounts.avatar_url IS 'Profile avatar URL, refreshed at each sync (TikTok CDN links expire).';
COMMENT ON COLUMN @extschema@.accounts.scope IS 'Comma-separated scopes the user granted.';
COMMENT ON COLUMN @extschema@.accounts.status IS 'CONNECTED (synced daily), NEED_RECONNECT (the owner must reconnect), ERROR (last sync failed) or DISABLED (disconnected).';
COMMENT ON COLUMN @extschema@.accounts.status_reason IS 'Why the account left CONNECTED (never contains a token).';
COMMENT ON COLUMN @extschema@.accounts.token_expires_at IS 'When the access token expires; the sync refreshes it on its own.';
COMMENT ON COLUMN @extschema@.accounts.refresh_token_expires_at IS 'When the refresh token expires; after it the owner must reconnect.';
COMMENT ON COLUMN @extschema@.accounts.last_sync_at IS 'When a sync of this account last succeeded.';
COMMENT ON COLUMN @extschema@.accounts.connected_at IS 'When the account was (re)connected.';
COMMENT ON COLUMN @extschema@.accounts.updated_at IS 'When the account''s row last changed.';
GRANT SELECT ON @extschema@.accounts TO tthub_admin;

------------------------------------------------------------------------------
-- Tokens, invites and codes passed as arguments stay out of the server log.
--
-- With log_min_error_statement at its default (error), a failing statement is logged
-- in full, literals included. The error is written while the failing function's
-- settings are still in force, so the SECURITY DEFINER functions that take a
-- plaintext token, an invite, a one-time code or a secret (tthub_import_account,
-- tthub_oauth_begin, tthub_oauth_complete, tthub_add_webhook) raise that threshold
-- for their own call. Applications should still pass tokens as bind parameters
-- (README: "Security"): log_statement = 'all' logs every statement before it runs.
------------------------------------------------------------------------------

-- An imported account's open_id and tokens are held to the rule TikTok's answers are
-- (core/tiktok_api.h): a token goes into an Authorization header, where a CR or LF
-- would add headers of its own.
CREATE OR REPLACE FUNCTION @extschema@._check_tiktok_account(open_id text, access_token text, refresh_token text)
  RETURNS void
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_check_tiktok_account';
COMMENT ON FUNCTION @extschema@._check_tiktok_account(text, text, text) IS
  'Internal: raise 22023 unless open_id and both tokens look as TikTok issues them (visible ASCII, bounded); the error names the argument, never its value.';
REVOKE ALL ON FUNCTION @extschema@._check_tiktok_account(text, text, text) FROM PUBLIC;

-- Migration path for accounts connected elsewhere. Where events come from in SQL: an
-- account imported is an account connected, with the event in its transaction.
CREATE OR REPLACE FUNCTION @extschema@.tthub_import_account(store_code text, open_id text, access_token text,
    refresh_token text, expires_in bigint, refresh_expires_in bigint, scope text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  -- The tokens stay out of the log (above).
  SET log_min_error_statement = panic
AS $$
BEGIN
  PERFORM @extschema@.check_store_code(store_code);
  IF NOT EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = tthub_import_account.store_code) THEN
    RAISE EXCEPTION 'store "%" does not exist', store_code USING ERRCODE = 'no_data_found';
  END IF;
  IF coalesce(open_id, '') = '' OR length(open_id) > 128 THEN
    RAISE EXCEPTION 'open_id must be 1 to 128 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(access_token, '') = '' OR coalesce(refresh_token, '') = '' THEN
    RAISE EXCEPTION 'both tokens are required' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(expires_in, 0) <= 0 OR coalesce(refresh_expires_in, 0) <= 0 THEN
    RAISE EXCEPTION 'expires_in and refresh_expires_in must be positive seconds' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM @extschema@._check_tiktok_account(open_id, access_token, refresh_token);
  INSERT INTO @extschema@.store_accounts AS a
    (store_code, open_id, access_token_enc, refresh_token_enc, token_expires_at,
     refresh_token_expires_at, scope, status, status_reason, connected_at, updated_at)
  VALUES (store_code, open_id,
          @extschema@.tthub_encrypt_token(access_token, @extschema@.token_context(store_code, open_id, 'access_token')),
          @extschema@.tthub_encrypt_token(refresh_token, @extschema@.token_context(store_code, open_id, 'refresh_token')),
          now() + make_interval(secs => expires_in), now() + make_interval(secs => refresh_expires_in),
          scope, 'CONNECTED', NULL, now(), now())
  ON CONFLICT ON CONSTRAINT store_accounts_pkey DO UPDATE
     SET access_token_enc = EXCLUDED.access_token_enc, refresh_token_enc = EXCLUDED.refresh_token_enc,
         token_expires_at = EXCLUDED.token_expires_at,
         refresh_token_expires_at = EXCLUDED.refresh_token_expires_at,
         scope = EXCLUDED.scope, status = 'CONNECTED', status_reason = NULL,
         connected_at = EXCLUDED.connected_at, updated_at = EXCLUDED.updated_at;
  PERFORM @extschema@._emit_event('account.connected'::text, store_code::varchar,
    pg_catalog.jsonb_build_object('open_id', open_id, 'via', 'import'));
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text) IS
  'Migration path for accounts connected elsewhere: encrypts and stores the tokens, status CONNECTED. Admin only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_import_account(text, text, text, text, bigint, bigint, text) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_disconnect(store_code text, open_id text DEFAULT NULL) RETURNS integer
  LANGUAGE c VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_disconnect';
COMMENT ON FUNCTION @extschema@.tthub_disconnect(text, text) IS
  'Revoke the store''s account (or all its accounts) at TikTok, delete the tokens, status DISABLED; snapshots stay. Returns the number of accounts disconnected.';
REVOKE ALL ON FUNCTION @extschema@.tthub_disconnect(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_disconnect(text, text) TO tthub_admin;

-- TikTok ended the authorization (its webhook, functions/56-tiktok_events.sql): the
-- tokens go (TikTok has revoked them) and the status says what TikTok said. The
-- caller holds the row lock and sends the event.
CREATE OR REPLACE FUNCTION @extschema@._end_authorization(store_code varchar, open_id text,
    status @extschema@.account_status, reason text) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  UPDATE @extschema@.store_accounts a
     SET access_token_enc = NULL, refresh_token_enc = NULL, token_expires_at = NULL, refresh_token_expires_at = NULL,
         status = _end_authorization.status, status_reason = reason, updated_at = now()
   WHERE a.store_code = _end_authorization.store_code AND a.open_id = _end_authorization.open_id;
END
$$;
COMMENT ON FUNCTION @extschema@._end_authorization(varchar, text, @extschema@.account_status, text) IS
  'Internal: TikTok ended the account''s authorization: delete its tokens, set status and reason.';
REVOKE ALL ON FUNCTION @extschema@._end_authorization(varchar, text, @extschema@.account_status, text) FROM PUBLIC;
