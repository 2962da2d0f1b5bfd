------------------------------------------------------------------------------
-- Connecting a store only by invitation. A store code is printed on receipts, so
-- knowing one must not be enough to attach a TikTok account to the store: an
-- admin issues a connect link carrying a random invite, and tthub_oauth_begin
-- takes that invite instead of a store code.
------------------------------------------------------------------------------

-- Looked up by the invite alone (the link carries nothing else): like oauth_states,
-- a reference table on Citus rather than one distributed by store_code.
CREATE TABLE @extschema@.oauth_invites (
  invite_hash bytea       PRIMARY KEY,
  store_code  varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  name        NOT NULL,
  expires_at  timestamptz NOT NULL,
  open_id     varchar(128),
  used_at     timestamptz,
  CONSTRAINT oauth_invites_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX oauth_invites_store_idx ON @extschema@.oauth_invites (store_code);
COMMENT ON TABLE @extschema@.oauth_invites IS
  'Connect links issued by tthub_connect_link: one store each, valid until expires_at, spent once an account is connected through it. Only SHA-256 hashes are stored. Delete a row to withdraw its link.';
COMMENT ON COLUMN @extschema@.oauth_invites.invite_hash IS 'SHA-256 of the invite in the link (the invite itself is never stored).';
COMMENT ON COLUMN @extschema@.oauth_invites.store_code IS 'Store the link connects an account to.';
COMMENT ON COLUMN @extschema@.oauth_invites.created_at IS 'When the link was issued.';
COMMENT ON COLUMN @extschema@.oauth_invites.created_by IS 'Session user who issued the link.';
COMMENT ON COLUMN @extschema@.oauth_invites.expires_at IS 'After this the link is refused (SQLSTATE TH107).';
COMMENT ON COLUMN @extschema@.oauth_invites.open_id IS 'TikTok account first connected through the link; no other account can use it afterwards.';
COMMENT ON COLUMN @extschema@.oauth_invites.used_at IS 'When an account was connected through the link with every scope; the link is spent (SQLSTATE TH108).';
-- Invites live for days: pg_dump keeps them, so a restore does not void links already sent.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.oauth_invites', '');
-- Admins see and withdraw links; the hash is of no use to them.
GRANT SELECT (store_code, created_at, created_by, expires_at, open_id, used_at), DELETE
  ON @extschema@.oauth_invites TO tthub_admin;

-- Every pending authorization now comes from an invite. States begun in 0.2 came
-- from a store code alone: they are dropped (they live 10 minutes anyway).
DELETE FROM @extschema@.oauth_states;
ALTER TABLE @extschema@.oauth_states
  ADD COLUMN invite_hash bytea NOT NULL REFERENCES @extschema@.oauth_invites (invite_hash) ON DELETE CASCADE;
COMMENT ON COLUMN @extschema@.oauth_states.invite_hash IS 'Invite the authorization began with; withdrawing the invite cancels it.';
CREATE INDEX oauth_states_invite_idx ON @extschema@.oauth_states (invite_hash);
-- Counting a store's pending authorizations (the cap in tthub_oauth_begin).
CREATE INDEX oauth_states_store_idx ON @extschema@.oauth_states (store_code, expires_at);

CREATE FUNCTION @extschema@.tthub_connect_link(store_code text, valid_for interval DEFAULT '7 days') RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  invite text := @extschema@._random_state();
BEGIN
  PERFORM @extschema@._require_store(store_code);
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

-- A store code is no longer enough to begin.
DROP FUNCTION @extschema@.tthub_oauth_begin(text, text);

CREATE FUNCTION @extschema@.tthub_oauth_begin(invite text, redirect_uri text) RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
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

COMMENT ON FUNCTION @extschema@.tthub_oauth_complete(text, text) IS
  'Finish connecting: checks the state, exchanges the code at TikTok, stores the tokens encrypted, spends the invite, enqueues a first sync. Errors: TH101 unknown state, TH102 expired, TH103 already used, TH104 TikTok refused, TH105 TikTok unavailable, TH108 the invite was used by another account.';

CREATE OR REPLACE FUNCTION @extschema@._prune(retention_days integer) RETURNS bigint
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH j AS (DELETE FROM @extschema@.sync_jobs
              WHERE state IN ('done', 'failed', 'dead', 'skipped')
                AND finished_at < now() - make_interval(days => retention_days) RETURNING 1),
       l AS (DELETE FROM @extschema@.sync_logs
              WHERE started_at < now() - make_interval(days => retention_days) RETURNING 1),
       s AS (DELETE FROM @extschema@.oauth_states WHERE expires_at < now() - interval '1 day' RETURNING 1),
       i AS (DELETE FROM @extschema@.oauth_invites
              WHERE expires_at < now() - make_interval(days => retention_days) RETURNING 1)
  SELECT (SELECT count(*) FROM j) + (SELECT count(*) FROM l) + (SELECT count(*) FROM s) + (SELECT count(*) FROM i)
$$;
COMMENT ON FUNCTION @extschema@._prune(integer) IS
  'Internal: delete finished jobs and sync logs older than the retention, OAuth states expired a day ago, and connect links expired longer than the retention.';
REVOKE ALL ON FUNCTION @extschema@._prune(integer) FROM PUBLIC;
