------------------------------------------------------------------------------
-- TikTok's webhook (issue #20): the shim's function, applying an event, and the
-- reconnect link that events telling an owner to reconnect carry.
------------------------------------------------------------------------------

-- The shim's one way in: verification and parsing are C++ (src/core/tiktok_webhook),
-- with the client secret only this server holds.
CREATE OR REPLACE FUNCTION @extschema@.tthub_tiktok_webhook(signature text, body bytea,
    OUT http_status integer, OUT outcome text)
  LANGUAGE c VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_tiktok_webhook';
COMMENT ON FUNCTION @extschema@.tthub_tiktok_webhook(text, bytea) IS
  'TikTok''s webhook, as the shim received it (the TikTok-Signature header and the raw body): verified with the client secret (HMAC-SHA256 over t.body, tthub.tiktok_webhook_tolerance), client_key checked, parsed, recorded once in tthub.tiktok_events and applied. Returns the HTTP status to answer (200, 400, 401, 413) and what was done.';
REVOKE ALL ON FUNCTION @extschema@.tthub_tiktok_webhook(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_tiktok_webhook(text, bytea) TO tthub_oauth;

-- A fresh connect link for a store's owner, absolute (tthub.public_url), or NULL:
-- links turned off (tthub.reconnect_links), no public URL, a disabled store, or the
-- invitation refused. A link is a courtesy: the event that carries it goes out
-- without one rather than not at all.
CREATE OR REPLACE FUNCTION @extschema@._reconnect_url(store_code varchar) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  base text := rtrim(coalesce(current_setting('tthub.public_url', true), ''), '/');
BEGIN
  IF base = '' OR NOT coalesce(nullif(current_setting('tthub.reconnect_links', true), '')::boolean, true) THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM @extschema@.stores s
                  WHERE s.store_code = _reconnect_url.store_code AND s.disabled_at IS NULL) THEN
    RETURN NULL;
  END IF;
  BEGIN
    RETURN base || @extschema@.tthub_connect_link(store_code::text);
  EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
  END;
END
$$;
COMMENT ON FUNCTION @extschema@._reconnect_url(varchar) IS
  'Internal: a fresh connect link (as tthub_connect_link, valid 7 days) made absolute with tthub.public_url; NULL when tthub.reconnect_links is off, tthub.public_url is empty or the store is disabled.';
REVOKE ALL ON FUNCTION @extschema@._reconnect_url(varchar) FROM PUBLIC;

-- One verified event from TikTok, recorded once (event_key) and applied once. The
-- reason's text and whether it disables come from C++ (src/core/tiktok_webhook), the
-- one home of that mapping.
--   authorization.removed: every account with the open_id stops at once: tokens
--   deleted (TikTok has revoked them), NEED_RECONNECT (reasons 0, 1, 3, 5) or
--   DISABLED (2 deleted, 4 banned) with TikTok's reason, queued jobs of a store left
--   with no account to sync cancelled, account.need_reconnect (with a reconnect link)
--   or account.removed. An account an admin disconnected stays as it is (tthub's own
--   revoke makes TikTok send reason 5), and so does one connected more than a minute
--   after the event (a late retry must not undo a reconnect).
-- Other events are recorded and ignored.
CREATE OR REPLACE FUNCTION @extschema@._apply_tiktok_event(event_key text, event text, open_id text, reason integer,
    reason_text text, disables boolean, tiktok_time timestamptz, OUT outcome text, OUT accounts_stopped integer)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  -- A row lock held elsewhere (an admin's open transaction) must not keep TikTok
  -- waiting: past this the shim answers 503 and TikTok sends the event again.
  SET lock_timeout = '1s'
AS $$
DECLARE
  id bigint;
  a record;
  new_status @extschema@.account_status := CASE WHEN disables THEN 'DISABLED' ELSE 'NEED_RECONNECT' END;
  why text := left(format('TikTok: %s (authorization.removed, reason %s)', reason_text, reason), 300);
  old_status @extschema@.account_status;
  stores varchar(50)[] := '{}';
  notes text[] := '{}';
  cancelled_total integer := 0;
  skipped_disconnected integer := 0;
  skipped_reconnected integer := 0;
BEGIN
  accounts_stopped := 0;
  INSERT INTO @extschema@.tiktok_events AS t (event_key, event, open_id, reason, tiktok_time, action)
  VALUES (_apply_tiktok_event.event_key, _apply_tiktok_event.event, _apply_tiktok_event.open_id,
          _apply_tiktok_event.reason, tiktok_time, '')
  ON CONFLICT ON CONSTRAINT tiktok_events_key_unique DO NOTHING
  RETURNING t.event_id INTO id;
  IF id IS NULL THEN
    outcome := 'already received: nothing changed';
    RETURN;
  END IF;

  IF _apply_tiktok_event.event <> 'authorization.removed' THEN
    outcome := 'ignored: tthub does not use this event';
  ELSE
    FOR a IN
      SELECT s.store_code, s.status, s.connected_at FROM @extschema@.store_accounts s
       WHERE s.open_id = _apply_tiktok_event.open_id ORDER BY s.store_code
    LOOP
      -- Locked one by one, by store (a single-shard statement on Citus).
      SELECT s.status INTO old_status FROM @extschema@.store_accounts s
       WHERE s.store_code = a.store_code AND s.open_id = _apply_tiktok_event.open_id FOR UPDATE;
      IF old_status = 'DISABLED' THEN
        skipped_disconnected := skipped_disconnected + 1;
        CONTINUE;
      END IF;
      -- TikTok's time is in whole seconds, from another clock: only a connection
      -- clearly after the event (a minute) is taken for a reconnect.
      IF a.connected_at > tiktok_time + interval '1 minute' THEN
        skipped_reconnected := skipped_reconnected + 1;
        CONTINUE;
      END IF;
      PERFORM @extschema@._end_authorization(a.store_code, _apply_tiktok_event.open_id, new_status, why);
      stores := stores || a.store_code;
      IF old_status IN ('CONNECTED', 'ERROR') THEN
        accounts_stopped := accounts_stopped + 1;
      END IF;
      IF old_status <> new_status THEN
        PERFORM @extschema@._emit_event(CASE WHEN disables THEN 'account.removed' ELSE 'account.need_reconnect' END,
          a.store_code, pg_catalog.jsonb_build_object('open_id', _apply_tiktok_event.open_id, 'reason', why,
                                                      'tiktok_reason', _apply_tiktok_event.reason));
      END IF;
      -- Queued work of a store left with no account to sync is cancelled (as
      -- tthub_disable_store drops it); a running job stops this account itself.
      IF NOT EXISTS (SELECT 1 FROM @extschema@.store_accounts o
                      WHERE o.store_code = a.store_code AND o.status IN ('CONNECTED', 'ERROR')) THEN
        cancelled_total := cancelled_total + @extschema@._drop_queued_jobs(a.store_code::text);
      END IF;
    END LOOP;
    IF cardinality(stores) > 0 THEN
      notes := notes || format('%s account(s) %s, tokens deleted (%s)', cardinality(stores), new_status,
                               array_to_string(stores, ', '));
    END IF;
    IF cancelled_total > 0 THEN
      notes := notes || format('%s queued job(s) cancelled', cancelled_total);
    END IF;
    IF skipped_disconnected > 0 THEN
      notes := notes || format('%s account(s) already disconnected, left as they are', skipped_disconnected);
    END IF;
    IF skipped_reconnected > 0 THEN
      notes := notes || format('%s account(s) connected after the event, left as they are', skipped_reconnected);
    END IF;
    outcome := CASE WHEN cardinality(notes) = 0 THEN 'ignored: no account has this open_id'
                    ELSE array_to_string(notes, '; ') END;
  END IF;
  UPDATE @extschema@.tiktok_events t SET action = outcome, store_codes = stores WHERE t.event_id = id;
END
$$;
COMMENT ON FUNCTION @extschema@._apply_tiktok_event(text, text, text, integer, text, boolean, timestamptz) IS
  'Internal: record a verified TikTok event once and apply it (authorization.removed stops every account with the open_id); returns what was done and how many syncable accounts stopped.';
REVOKE ALL ON FUNCTION @extschema@._apply_tiktok_event(text, text, text, integer, text, boolean, timestamptz) FROM PUBLIC;

-- TikTok retries an event for 72 hours: its record outlives that, whatever the
-- retention, so a late retry still finds it and changes nothing. Called by _prune.
CREATE OR REPLACE FUNCTION @extschema@._prune_tiktok_events(cutoff timestamptz) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  DELETE FROM @extschema@.tiktok_events WHERE received_at < least(cutoff, now() - interval '4 days');
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._prune_tiktok_events(timestamptz) IS
  'Internal: delete TikTok''s webhook events received before cutoff and at least 4 days ago; returns how many.';
REVOKE ALL ON FUNCTION @extschema@._prune_tiktok_events(timestamptz) FROM PUBLIC;
