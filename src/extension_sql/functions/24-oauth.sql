-- Connecting a store: connect links (invites) and OAuth (Login Kit for Web) inside the database. The shim
-- (tthub-oauth) only redirects and calls tthub_oauth_begin / tthub_oauth_complete, which keep
-- the invite and the code out of the server log (log_min_error_statement: functions/22-accounts.sql).

CREATE OR REPLACE FUNCTION @extschema@._random_state() RETURNS text
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_random_state';
COMMENT ON FUNCTION @extschema@._random_state() IS 'Internal: 256 random bits, base64url.';
REVOKE ALL ON FUNCTION @extschema@._random_state() FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._form_encode(value text) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_form_encode';
COMMENT ON FUNCTION @extschema@._form_encode(text) IS 'Internal: application/x-www-form-urlencoded encoding.';

CREATE OR REPLACE FUNCTION @extschema@.tthub_connect_link(store_code text, valid_for interval DEFAULT '7 days') RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  invite text := @extschema@._random_state();
BEGIN
  PERFORM @extschema@._require_store(store_code);
  IF EXISTS (SELECT 1 FROM @extschema@.stores s
              WHERE s.store_code = tthub_connect_link.store_code AND s.disabled_at IS NOT NULL) THEN
    RAISE EXCEPTION 'store "%" is disabled', store_code
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'SELECT tthub.tthub_enable_store(...) first.';
  END IF;
  IF valid_for IS NULL OR valid_for <= interval '0' OR valid_for > interval '90 days' THEN
    RAISE EXCEPTION 'valid_for must be positive and at most 90 days' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO @extschema@.oauth_invites (invite_hash, store_code, created_by, expires_at)
  VALUES (sha256(convert_to(invite, 'UTF8')), store_code, session_user, now() + valid_for);
  RETURN '/auth/login?invite=' || invite;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_connect_link(text, interval) IS
  'Issue a connect link for a store: returns "/auth/login?invite=<invite>" (256 random bits, stored only hashed) to append to the shim''s public URL and send to the store owner. Valid for valid_for (at most 90 days); spent once an account is connected through it.';
REVOKE ALL ON FUNCTION @extschema@.tthub_connect_link(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_connect_link(text, interval) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_oauth_begin(invite text, redirect_uri text) RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET log_min_error_statement = panic
AS $$
DECLARE
  max_pending constant integer := 20;
  state text := @extschema@._random_state();
  client_key text := coalesce(current_setting('tthub.client_key', true), '');
  base text := coalesce(nullif(current_setting('tthub.authorize_url', true), ''), 'https://www.tiktok.com/v2/auth/authorize/');
  scopes text := coalesce(nullif(current_setting('tthub.oauth_scopes', true), ''), 'user.info.basic,user.info.stats,video.list');
  inv record;
  pending integer;
BEGIN
  -- The row lock makes concurrent begins through one link take turns, so the cap holds.
  SELECT i.invite_hash, i.store_code, i.expires_at <= now() AS expired, i.used_at IS NOT NULL AS used
    INTO inv
    FROM @extschema@.oauth_invites i
   WHERE i.invite_hash = sha256(convert_to(coalesce(invite, ''), 'UTF8'))
     AND length(invite) BETWEEN 1 AND 128
     FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'invalid invite' USING ERRCODE = 'TH106', HINT = 'Ask the store''s administrator for a new connect link.';
  END IF;
  IF inv.used THEN
    RAISE EXCEPTION 'invite already used' USING ERRCODE = 'TH108',
      DETAIL = 'An account was connected through this link.', HINT = 'Ask the store''s administrator for a new connect link.';
  END IF;
  IF inv.expired THEN
    RAISE EXCEPTION 'invite expired' USING ERRCODE = 'TH107', HINT = 'Ask the store''s administrator for a new connect link.';
  END IF;
  -- Disabling a store withdraws its links; this holds even for one made in between.
  IF EXISTS (SELECT 1 FROM @extschema@.stores s WHERE s.store_code = inv.store_code AND s.disabled_at IS NOT NULL) THEN
    RAISE EXCEPTION 'invalid invite' USING ERRCODE = 'TH106', DETAIL = 'The store is disabled.',
      HINT = 'Ask the store''s administrator for a new connect link.';
  END IF;
  -- TikTok's rules for a web redirect URI: https, absolute, no query, no fragment,
  -- under 512 characters. Plain http only for loopback (development, tests).
  IF redirect_uri IS NULL OR length(redirect_uri) >= 512
     OR NOT (redirect_uri ~ '^https://[^\s?#]+$'
             OR redirect_uri ~ '^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[^\s?#]*)?$') THEN
    RAISE EXCEPTION 'invalid redirect_uri'
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'It must be an absolute https URL without query or fragment, under 512 characters, registered with the TikTok app.';
  END IF;
  IF client_key = '' THEN
    RAISE EXCEPTION 'tthub.client_key is not set' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- Whoever holds a link cannot fill the table: states long expired go, and a store
  -- has at most max_pending authorizations in flight (each lives 10 minutes).
  DELETE FROM @extschema@.oauth_states s
   WHERE s.store_code = inv.store_code AND s.expires_at < now() - interval '1 hour';
  SELECT count(*) INTO pending
    FROM @extschema@.oauth_states s
   WHERE s.store_code = inv.store_code AND s.expires_at > now() AND s.used_at IS NULL;
  IF pending >= max_pending THEN
    RAISE EXCEPTION 'too many pending authorizations for store "%"', inv.store_code USING ERRCODE = 'TH109',
      DETAIL = format('At most %s authorizations of a store may be in progress; each expires after 10 minutes.', max_pending),
      HINT = 'Try again in 10 minutes.';
  END IF;
  INSERT INTO @extschema@.oauth_states (state_hash, store_code, redirect_uri, expires_at, invite_hash)
  VALUES (sha256(convert_to(state, 'UTF8')), inv.store_code, redirect_uri, now() + interval '10 minutes', inv.invite_hash);
  -- Web apps send no PKCE parameters (not part of TikTok's documented web flow).
  RETURN base || CASE WHEN position('?' IN base) > 0 THEN '&' ELSE '?' END
         || 'client_key=' || @extschema@._form_encode(client_key)
         || '&response_type=code'
         || '&scope=' || @extschema@._form_encode(scopes)
         || '&redirect_uri=' || @extschema@._form_encode(redirect_uri)
         || '&state=' || state;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_oauth_begin(text, text) IS
  'Start connecting a TikTok account through a connect link (tthub_connect_link): returns the authorize URL with a fresh single-use state (10 minutes). Errors: TH106 invalid invite, TH107 invite expired, TH108 invite already used, TH109 too many pending authorizations for the store (20).';
REVOKE ALL ON FUNCTION @extschema@.tthub_oauth_begin(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_oauth_begin(text, text) TO tthub_oauth, tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_oauth_complete(state text, code text,
    OUT store_code text, OUT display_name text, OUT status text, OUT status_reason text)
  LANGUAGE c VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET log_min_error_statement = panic
  AS 'MODULE_PATHNAME', 'tthub_oauth_complete';
COMMENT ON FUNCTION @extschema@.tthub_oauth_complete(text, text) IS
  'Finish connecting: checks the state, exchanges the code at TikTok, stores the tokens encrypted, spends the invite, enqueues a first sync. Errors: TH101 unknown state, TH102 expired, TH103 already used, TH104 TikTok refused, TH105 TikTok unavailable, TH108 the invite was used by another account.';
REVOKE ALL ON FUNCTION @extschema@.tthub_oauth_complete(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_oauth_complete(text, text) TO tthub_oauth, tthub_admin;

-- Expired OAuth states and connect links, for tthub._prune (the worker's maintenance).
CREATE OR REPLACE FUNCTION @extschema@._prune_oauth(cutoff timestamptz) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  on_citus constant boolean := @extschema@._citus_node_role() <> 'none';
  enforced text;
  states bigint;
  invites bigint;
BEGIN
  -- On Citus, modifying a reference table that others reference (oauth_invites) after
  -- a parallel query in the same transaction (the worker's maintenance runs one) is
  -- refused, to keep foreign-key checks on one connection per node. No distributed
  -- table references the OAuth tables, so that check protects nothing here.
  IF on_citus THEN
    enforced := current_setting('citus.enforce_foreign_key_restrictions');
    PERFORM set_config('citus.enforce_foreign_key_restrictions', 'off', true);
  END IF;
  DELETE FROM @extschema@.oauth_states WHERE expires_at < now() - interval '1 day';
  GET DIAGNOSTICS states = ROW_COUNT;
  DELETE FROM @extschema@.oauth_invites WHERE expires_at < cutoff;
  GET DIAGNOSTICS invites = ROW_COUNT;
  IF on_citus THEN
    PERFORM set_config('citus.enforce_foreign_key_restrictions', enforced, true);
  END IF;
  RETURN states + invites;
END
$$;
COMMENT ON FUNCTION @extschema@._prune_oauth(timestamptz) IS
  'Internal: delete OAuth states expired a day ago and connect links expired before the cutoff (the retention); returns how many.';
REVOKE ALL ON FUNCTION @extschema@._prune_oauth(timestamptz) FROM PUBLIC;
