-- Alerts: the event outbox, webhooks, and the delivery queue the worker sends.

CREATE OR REPLACE FUNCTION @extschema@._event_names() RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN ARRAY['account.connected', 'account.need_reconnect', 'account.token_expiring', 'sync.failed',
               'job.dead', 'sync.day_incomplete', 'account.removed'];
END
$$;
COMMENT ON FUNCTION @extschema@._event_names() IS 'The events tthub emits.';

-- Defined once, in C++ (src/core/secret_context.h), where the worker decrypts it. A
-- colon never occurs in a token's context (store codes exclude it): a secret's
-- ciphertext copied into a token column fails to decrypt, and the reverse.
CREATE OR REPLACE FUNCTION @extschema@._webhook_secret_context(webhook_id bigint) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_webhook_secret_context';
COMMENT ON FUNCTION @extschema@._webhook_secret_context(bigint) IS
  'The authenticated context of a webhook''s encrypted signing secret.';

-- The event and its deliveries, in the caller's transaction. Its NOTIFY is not: a
-- NOTIFY the notification queue cannot take fails the commit that carries it, and
-- any role can fill that queue. The event is marked notify_pending instead, and the
-- worker, woken at commit, sends it in a transaction of its own (_notify_events).
CREATE OR REPLACE FUNCTION @extschema@._emit_event(event text, store_code varchar, data jsonb) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
  at timestamptz := now();
  queued integer;
  payload jsonb := coalesce(_emit_event.data, '{}');
  link text;
  notify boolean := coalesce(current_setting('tthub.notify_events', true), 'on') <> 'off';
BEGIN
  IF NOT (event = ANY (@extschema@._event_names())) THEN
    RAISE EXCEPTION 'unknown event "%"', event USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- The one place events get their reconnect link (issue #20): whoever reports that an
  -- owner must reconnect (a sync, the OAuth callback, TikTok's webhook, the expiry
  -- scan) sends the link to do it with. account.removed (deleted, banned) gets none.
  IF event IN ('account.need_reconnect', 'account.token_expiring') AND NOT payload ? 'reconnect_url' THEN
    link := @extschema@._reconnect_url(_emit_event.store_code);
    IF link IS NOT NULL THEN
      payload := payload || pg_catalog.jsonb_build_object('reconnect_url', link);
    END IF;
  END IF;
  INSERT INTO @extschema@.events (store_code, event, data, occurred_at, notify_pending)
  VALUES (_emit_event.store_code, _emit_event.event, payload, at, notify)
  RETURNING events.event_id INTO id;
  INSERT INTO @extschema@.deliveries (store_code, event_id, webhook_id, run_after, created_at, updated_at)
  SELECT _emit_event.store_code, id, w.webhook_id, at, at, at
    FROM @extschema@.webhooks w
   WHERE w.enabled AND (w.events IS NULL OR _emit_event.event = ANY (w.events));
  GET DIAGNOSTICS queued = ROW_COUNT;
  IF queued > 0 OR notify THEN
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@._emit_event(text, varchar, jsonb) IS
  'Internal: record an event in the outbox and queue a delivery to each webhook that wants it, in the caller''s transaction; the worker sends its NOTIFY tthub_events after the commit.';
REVOKE ALL ON FUNCTION @extschema@._emit_event(text, varchar, jsonb) FROM PUBLIC;

-- The worker's NOTIFYs: up to max_events pending events, oldest first, each sent
-- (when send) and marked sent, in the worker's transaction; if its commit fails (the
-- queue takes no more), the worker calls this again with send => false, which marks
-- them without sending, so one refused NOTIFY never holds back the next.
-- Any role may LISTEN and NOTIFY on the channel (Postgres checks no privilege on
-- either), so the payload names the event and nothing more: its data (open_id,
-- errors, reasons) stays in tthub.events, which only tthub_admin reads.
CREATE OR REPLACE FUNCTION @extschema@._notify_events(max_events integer, send boolean) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  FOR r IN
    SELECT e.store_code, e.event_id, e.event, e.occurred_at
      FROM @extschema@.events e
     WHERE e.notify_pending
     ORDER BY e.event_id
     LIMIT max_events
  LOOP
    IF send THEN
      PERFORM pg_catalog.pg_notify('tthub_events',
        pg_catalog.json_build_object('id', r.event_id, 'event', r.event, 'store_code', r.store_code,
                                     'occurred_at', r.occurred_at)::text);
    END IF;
    UPDATE @extschema@.events e SET notify_pending = false
     WHERE e.store_code = r.store_code AND e.event_id = r.event_id;
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._notify_events(integer, boolean) IS
  'Internal (the worker): NOTIFY tthub_events for up to max_events pending events (send => false: mark them without sending); returns how many.';
REVOKE ALL ON FUNCTION @extschema@._notify_events(integer, boolean) FROM PUBLIC;

------------------------------------------------------------------------------
-- Managing webhooks (tthub_admin).
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._check_webhook_url(url text, allow_http boolean) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF url IS NULL OR length(url) > 2048 OR url !~ '^https?://[^/?#@\s]+(:[0-9]+)?([/?#]\S*)?$' THEN
    RAISE EXCEPTION 'a webhook URL is http(s)://host[:port]/path, without credentials or spaces, at most 2048 characters'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Loopback is no exception: it is the database host, whose ports the superuser
  -- worker would reach on the webhook's owner's behalf.
  IF url ~ '^http://' AND NOT coalesce(allow_http, false) THEN
    RAISE EXCEPTION 'a webhook URL must use https'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A superuser may pass allow_http => true (and allow_private => true for a receiver on this host or the private network).';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._check_webhook_url(text, boolean) IS
  'Internal: refuse a webhook URL that is not http(s), carries credentials, or is plain http without allow_http.';

CREATE OR REPLACE FUNCTION @extschema@.tthub_add_webhook(url text, signing_secret text, events text[] DEFAULT NULL,
    format text DEFAULT 'json', allow_http boolean DEFAULT false, allow_private boolean DEFAULT false) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  -- A refused call is not logged with its statement: the secret is one of its literals
  -- (as tthub_import_account, functions/22-accounts.sql).
  SET log_min_error_statement = panic
AS $$
DECLARE
  id bigint;
  secret_enc bytea;
BEGIN
  -- The worker that sends deliveries is a superuser: tthub_admin may not point it at
  -- this host or the private network (or in clear text across it); a superuser may.
  IF (coalesce(allow_http, false) OR coalesce(allow_private, false))
     AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
    RAISE EXCEPTION 'only a superuser may allow plain http or internal addresses for a webhook'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM @extschema@._check_webhook_url(url, allow_http);
  IF coalesce(length(signing_secret), 0) < 16 OR length(signing_secret) > 1024 THEN
    RAISE EXCEPTION 'the signing secret must be 16 to 1024 characters' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF events IS NOT NULL AND (cardinality(events) = 0 OR NOT (events <@ @extschema@._event_names())) THEN
    RAISE EXCEPTION 'events must be NULL (every event) or a list of: %',
      array_to_string(@extschema@._event_names(), ', ') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF format IS NULL OR format NOT IN ('json', 'slack') THEN
    RAISE EXCEPTION 'format is json or slack' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  id := nextval('@extschema@.webhooks_webhook_id_seq');
  secret_enc := @extschema@.tthub_encrypt_token(signing_secret, @extschema@._webhook_secret_context(id));
  INSERT INTO @extschema@.webhooks (webhook_id, url, secret_enc, events, format, allow_http, allow_private)
  VALUES (id, tthub_add_webhook.url, secret_enc, tthub_add_webhook.events, tthub_add_webhook.format,
          coalesce(tthub_add_webhook.allow_http, false), coalesce(tthub_add_webhook.allow_private, false));
  RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_add_webhook(text, text, text[], text, boolean, boolean) IS
  'Add a webhook: POSTs each event (NULL events: every one) to url, signed with signing_secret (stored encrypted, never readable). format => ''slack'' sends {"text": ...}. allow_http, allow_private (superuser only): plain http, internal addresses (loopback included). Returns its id.';
REVOKE ALL ON FUNCTION @extschema@.tthub_add_webhook(text, text, text[], text, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_add_webhook(text, text, text[], text, boolean, boolean) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_list_webhooks()
  RETURNS TABLE (webhook_id bigint, url text, events text[], format text, allow_http boolean, allow_private boolean,
                 enabled boolean,
                 created_at timestamptz, queued bigint, dead bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
    SELECT w.webhook_id, w.url, w.events, w.format, w.allow_http, w.allow_private, w.enabled, w.created_at,
           (SELECT count(*) FROM @extschema@.deliveries d WHERE d.webhook_id = w.webhook_id AND d.state = 'queued'),
           (SELECT count(*) FROM @extschema@.deliveries d WHERE d.webhook_id = w.webhook_id AND d.state = 'dead')
      FROM @extschema@.webhooks w ORDER BY w.webhook_id;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_list_webhooks() IS
  'The webhooks, with their queued and dead deliveries (never the signing secret).';
REVOKE ALL ON FUNCTION @extschema@.tthub_list_webhooks() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_list_webhooks() TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_disable_webhook(webhook_id bigint, enabled boolean DEFAULT false)
  RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  at timestamptz := now();
BEGIN
  UPDATE @extschema@.webhooks w SET enabled = coalesce(tthub_disable_webhook.enabled, false), updated_at = at
   WHERE w.webhook_id = tthub_disable_webhook.webhook_id;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM @extschema@._wake_worker();  -- re-enabled: its queued deliveries go
  RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_disable_webhook(bigint, boolean) IS
  'Stop (or, with enabled => true, resume) a webhook: no new deliveries while disabled; queued ones wait. False when there is no such webhook.';
REVOKE ALL ON FUNCTION @extschema@.tthub_disable_webhook(bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_disable_webhook(bigint, boolean) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_remove_webhook(webhook_id bigint) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM @extschema@.webhooks w WHERE w.webhook_id = tthub_remove_webhook.webhook_id;
  RETURN FOUND;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_remove_webhook(bigint) IS
  'Remove a webhook and its deliveries (the events stay). False when there is no such webhook.';
REVOKE ALL ON FUNCTION @extschema@.tthub_remove_webhook(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_remove_webhook(bigint) TO tthub_admin;

CREATE OR REPLACE FUNCTION @extschema@.tthub_redeliver(delivery_id bigint) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  store varchar(50);
  at timestamptz := now();
BEGIN
  SELECT d.store_code INTO store FROM @extschema@.deliveries d WHERE d.delivery_id = tthub_redeliver.delivery_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no delivery %', delivery_id USING ERRCODE = 'no_data_found';
  END IF;
  UPDATE @extschema@.deliveries d
     SET state = 'queued', attempts = 0, run_after = at, finished_at = NULL, lease_until = NULL,
         worker_pid = NULL, updated_at = at
   WHERE d.store_code = store AND d.delivery_id = tthub_redeliver.delivery_id AND d.state <> 'running';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'delivery % is being sent now', delivery_id USING ERRCODE = 'object_in_use';
  END IF;
  PERFORM @extschema@._wake_worker();
  RETURN delivery_id;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_redeliver(bigint) IS
  'Send a delivery again (a dead one, or a done one a receiver lost) with fresh attempts and the same delivery id.';
REVOKE ALL ON FUNCTION @extschema@.tthub_redeliver(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_redeliver(bigint) TO tthub_admin;

-- Key rotation: tthub_rotate_token_key must call this too (row by row on the
-- coordinator, the ciphertext in a variable: no crypto inside a query over a table).
CREATE OR REPLACE FUNCTION @extschema@._reencrypt_webhook_secrets() RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  fresh bytea;
  n integer := 0;
BEGIN
  FOR r IN SELECT w.webhook_id, w.secret_enc FROM @extschema@.webhooks w ORDER BY w.webhook_id LOOP
    CONTINUE WHEN @extschema@._token_key_is_current(r.secret_enc);
    fresh := @extschema@._reencrypt_token(r.secret_enc, @extschema@._webhook_secret_context(r.webhook_id));
    UPDATE @extschema@.webhooks w SET secret_enc = fresh WHERE w.webhook_id = r.webhook_id;
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._reencrypt_webhook_secrets() IS
  'Internal (key rotation): encrypt every webhook signing secret not under the current key again with it; returns how many.';
REVOKE ALL ON FUNCTION @extschema@._reencrypt_webhook_secrets() FROM PUBLIC;

------------------------------------------------------------------------------
-- The worker's side of the delivery queue.
------------------------------------------------------------------------------
-- Deliveries left running by a process that is gone go back to the queue (or die when
-- their attempts are spent), as _requeue_orphans does for sync jobs.
CREATE OR REPLACE FUNCTION @extschema@._requeue_orphan_deliveries(max_attempts integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  at timestamptz := now();
  dead integer;
  requeued integer;
BEGIN
  UPDATE @extschema@.deliveries d
     SET state = 'dead', finished_at = at, last_error = 'the worker sending it stopped',
         lease_until = NULL, worker_pid = NULL, updated_at = at
   WHERE d.state = 'running' AND d.attempts >= max_attempts
     AND (d.lease_until < at OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                                             WHERE a.pid = d.worker_pid AND a.backend_start <= d.started_at));
  GET DIAGNOSTICS dead = ROW_COUNT;
  UPDATE @extschema@.deliveries d
     SET state = 'queued', run_after = at, last_error = 'the worker sending it stopped',
         lease_until = NULL, worker_pid = NULL, updated_at = at
   WHERE d.state = 'running'
     AND (d.lease_until < at OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                                             WHERE a.pid = d.worker_pid AND a.backend_start <= d.started_at));
  GET DIAGNOSTICS requeued = ROW_COUNT;
  RETURN dead + requeued;
END
$$;
COMMENT ON FUNCTION @extschema@._requeue_orphan_deliveries(integer) IS
  'Internal: running deliveries whose process is gone (or whose lease passed) back to the queue, or dead when their attempts are spent.';
REVOKE ALL ON FUNCTION @extschema@._requeue_orphan_deliveries(integer) FROM PUBLIC;

-- Up to max_total due deliveries, at most per_webhook running per webhook (counting
-- those already on the wire), oldest first, leased to pid. A full webhook's backlog
-- never holds back another's. The candidates come in the order of
-- deliveries_queue_order_idx and the loop stops at max_total, whatever the statistics
-- said when the worker planned (as _claim_jobs, functions/30-queue.sql): a burst of
-- events fills the queue from empty, and a plan made on an empty queue sorted every
-- queued delivery at each claim (40,000 buffers a claim at 20,000 deliveries,
-- test/pgtap/queue_head.sql).
CREATE OR REPLACE FUNCTION @extschema@._claim_deliveries(max_total integer, per_webhook integer, lease interval,
    pid integer)
  RETURNS TABLE (store_code text, delivery_id bigint, webhook_id bigint, attempts integer, event text,
                 occurred_at text, data text, url text, secret_enc bytea, format text, allow_private boolean)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  SET enable_sort = off
  SET enable_seqscan = off
AS $$
DECLARE
  c record;
  at timestamptz := now();
  taken integer := 0;
  full_hooks bigint[] := '{}';
BEGIN
  IF coalesce(max_total, 0) <= 0 THEN
    RETURN;
  END IF;
  FOR c IN
    SELECT q.store_code AS store, q.delivery_id AS id, q.webhook_id AS hook
      FROM @extschema@.deliveries q
      JOIN @extschema@.webhooks w ON w.webhook_id = q.webhook_id AND w.enabled
     WHERE q.state = 'queued' AND q.run_after <= at
     ORDER BY q.run_after, q.delivery_id
  LOOP
    CONTINUE WHEN c.hook = ANY (full_hooks);
    IF (SELECT count(*) FROM @extschema@.deliveries r WHERE r.webhook_id = c.hook AND r.state = 'running') >= per_webhook THEN
      full_hooks := full_hooks || c.hook;
      CONTINUE;
    END IF;
    -- A row another transaction holds (tthub_redeliver left open) is skipped, never
    -- waited for: the worker's loop must not stall on an admin's open transaction.
    PERFORM 1 FROM @extschema@.deliveries d
     WHERE d.store_code = c.store AND d.delivery_id = c.id AND d.state = 'queued'
       FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    UPDATE @extschema@.deliveries d
       SET state = 'running', attempts = d.attempts + 1, lease_until = at + lease, worker_pid = pid,
           started_at = at, updated_at = at
     WHERE d.store_code = c.store AND d.delivery_id = c.id AND d.state = 'queued';
    CONTINUE WHEN NOT FOUND;  -- taken or changed meanwhile
    RETURN QUERY
      SELECT d.store_code::text, d.delivery_id, d.webhook_id, d.attempts, e.event,
             to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.data::text,
             w.url, w.secret_enc, w.format, w.allow_private
        FROM @extschema@.deliveries d
        JOIN @extschema@.events e ON e.store_code = d.store_code AND e.event_id = d.event_id
        JOIN @extschema@.webhooks w ON w.webhook_id = d.webhook_id
       WHERE d.store_code = c.store AND d.delivery_id = c.id;
    taken := taken + 1;
    EXIT WHEN taken >= max_total;
  END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@._claim_deliveries(integer, integer, interval, integer) IS
  'Internal: lease up to max_total due deliveries to a worker, at most per_webhook running per webhook.';
REVOKE ALL ON FUNCTION @extschema@._claim_deliveries(integer, integer, interval, integer) FROM PUBLIC;

-- One attempt's outcome: done on success; else queued again after retry_ms, or dead
-- when it was the last attempt. (An attempt interrupted by a shutdown is put back by
-- the worker without coming here, and spends nothing.)
CREATE OR REPLACE FUNCTION @extschema@._finish_delivery(store_code varchar, delivery_id bigint, ok boolean,
    http_status integer, error text, duration_ms integer, retry_ms bigint, max_attempts integer)
  RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  at timestamptz := now();
  next_run timestamptz := now() + make_interval(secs => coalesce(retry_ms, 0) / 1000.0);
  me constant integer := pg_catalog.pg_backend_pid();
  spent integer;
  outcome text;
BEGIN
  -- The pid is taken here, on this node: pg_backend_pid() inside the statement would be
  -- evaluated by the shard on Citus, where it is another process's, and no delivery
  -- would ever be found (each was sent again and again).
  SELECT d.attempts INTO spent FROM @extschema@.deliveries d
   WHERE d.store_code = _finish_delivery.store_code AND d.delivery_id = _finish_delivery.delivery_id
     AND d.state = 'running' AND d.worker_pid = me
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;  -- redelivered, removed or requeued as an orphan meanwhile: not ours
  END IF;
  IF ok THEN
    outcome := 'done';
    UPDATE @extschema@.deliveries d
       SET state = 'done', finished_at = at, last_http_status = http_status, last_error = NULL,
           last_duration_ms = duration_ms, lease_until = NULL, worker_pid = NULL, updated_at = at
     WHERE d.store_code = _finish_delivery.store_code AND d.delivery_id = _finish_delivery.delivery_id;
  ELSIF spent >= max_attempts THEN
    outcome := 'dead';
    UPDATE @extschema@.deliveries d
       SET state = 'dead', finished_at = at, last_http_status = http_status, last_error = error,
           last_duration_ms = duration_ms, lease_until = NULL, worker_pid = NULL, updated_at = at
     WHERE d.store_code = _finish_delivery.store_code AND d.delivery_id = _finish_delivery.delivery_id;
  ELSE
    outcome := 'queued';
    UPDATE @extschema@.deliveries d
       SET state = 'queued', run_after = next_run, last_http_status = http_status, last_error = error,
           last_duration_ms = duration_ms, lease_until = NULL, worker_pid = NULL, updated_at = at
     WHERE d.store_code = _finish_delivery.store_code AND d.delivery_id = _finish_delivery.delivery_id;
  END IF;
  RETURN outcome;
END
$$;
COMMENT ON FUNCTION @extschema@._finish_delivery(varchar, bigint, boolean, integer, text, integer, bigint, integer) IS
  'Internal: record a delivery attempt (done, queued for a retry, or dead); returns the new state.';
REVOKE ALL ON FUNCTION @extschema@._finish_delivery(varchar, bigint, boolean, integer, text, integer, bigint, integer) FROM PUBLIC;

-- Milliseconds until the next queued delivery of an enabled webhook with room for
-- one more on the wire is due (NULL: none). A webhook at its cap is left out: its
-- backlog must not make the worker claim in a tight loop; a finished delivery frees
-- a place, and the worker claims again then. The first in the queue's order, with the
-- claim's plan rule (below).
CREATE OR REPLACE FUNCTION @extschema@._next_delivery_due_ms(per_webhook integer) RETURNS bigint
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  SET enable_sort = off
  SET enable_seqscan = off
AS $$
DECLARE
  next_run timestamptz;
  -- Webhooks at their in-flight cap, found first: a subquery correlated on webhook_id
  -- (not the distribution column) is refused by Citus ("complex joins are only
  -- supported when ..."), which failed every webhook step on a distributed install.
  full_hooks constant bigint[] := ARRAY(SELECT r.webhook_id FROM @extschema@.deliveries r WHERE r.state = 'running'
                                         GROUP BY r.webhook_id HAVING count(*) >= per_webhook);
BEGIN
  SELECT q.run_after INTO next_run
    FROM @extschema@.deliveries q JOIN @extschema@.webhooks w ON w.webhook_id = q.webhook_id AND w.enabled
   WHERE q.state = 'queued' AND q.webhook_id <> ALL (full_hooks)
   ORDER BY q.run_after, q.delivery_id
   LIMIT 1;
  IF next_run IS NULL THEN
    RETURN NULL;  -- not greatest(0, NULL), which is 0: "due now", and a claim every second
  END IF;
  RETURN greatest(0, ceil(extract(epoch FROM next_run - now()) * 1000))::bigint;
END
$$;
COMMENT ON FUNCTION @extschema@._next_delivery_due_ms(integer) IS
  'Internal: milliseconds until the next queued delivery of a webhook below its in-flight cap is due; NULL when none.';
REVOKE ALL ON FUNCTION @extschema@._next_delivery_due_ms(integer) FROM PUBLIC;

------------------------------------------------------------------------------
-- Events found by looking rather than by a change: a refresh token about to expire
-- (once per account and expiry) and a store's day not complete by the operator's
-- deadline (once per store and day). The worker calls this every minute.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._scan_alert_events(expiry_warning interval, day_deadline_minutes integer)
  RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  n integer := 0;
  today date;
  deadline timestamptz;
  codes text[] := '{}';
  days date[] := '{}';
  deadlines timestamptz[] := '{}';
BEGIN
  FOR r IN
    SELECT a.store_code, a.open_id, a.refresh_token_expires_at AS expires
      FROM @extschema@.store_accounts a
      JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
     WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at < now() + expiry_warning
       AND a.token_expiry_warned_for IS DISTINCT FROM a.refresh_token_expires_at
  LOOP
    -- Remembered with the account, not looked up in events: retention prunes those,
    -- and the warning would go out again. Only if the expiry is still the one read.
    UPDATE @extschema@.store_accounts a SET token_expiry_warned_for = r.expires
     WHERE a.store_code = r.store_code AND a.open_id = r.open_id AND a.refresh_token_expires_at = r.expires;
    CONTINUE WHEN NOT FOUND;
    PERFORM @extschema@._emit_event('account.token_expiring', r.store_code,
      pg_catalog.jsonb_build_object('open_id', r.open_id, 'refresh_token_expires_at', r.expires));
    n := n + 1;
  END LOOP;

  IF day_deadline_minutes IS NULL OR day_deadline_minutes < 0 THEN
    RETURN n;
  END IF;
  -- Each store's today and deadline in its own time zone, computed here (on the
  -- coordinator), for the stores whose deadline has passed.
  FOR r IN SELECT s.store_code, s.timezone FROM @extschema@.stores s WHERE s.disabled_at IS NULL LOOP
    today := @extschema@._day_in(r.timezone);
    deadline := (today::timestamp + make_interval(mins => day_deadline_minutes)) AT TIME ZONE @extschema@._day_zone(r.timezone);
    CONTINUE WHEN now() < deadline;
    codes := codes || r.store_code::text;
    days := days || today;
    deadlines := deadlines || deadline;
  END LOOP;
  FOR r IN
    SELECT a.store_code, d.today, d.deadline, count(*) AS incomplete
      FROM @extschema@.store_accounts a
      JOIN unnest(codes, days, deadlines) AS d(store_code, today, deadline) ON d.store_code = a.store_code
     WHERE a.status IN ('CONNECTED', 'ERROR') AND a.connected_at < d.deadline
       AND NOT EXISTS (SELECT 1 FROM @extschema@.sync_ledger l
                        WHERE l.store_code = a.store_code AND l.open_id = a.open_id
                          AND l.snapshot_date = d.today AND l.complete)
     GROUP BY a.store_code, d.today, d.deadline
    HAVING NOT EXISTS (SELECT 1 FROM @extschema@.events e
                        WHERE e.store_code = a.store_code AND e.event = 'sync.day_incomplete'
                          AND e.data ->> 'snapshot_date' = d.today::text)
  LOOP
    PERFORM @extschema@._emit_event('sync.day_incomplete', r.store_code,
      pg_catalog.jsonb_build_object('snapshot_date', r.today::text, 'accounts_incomplete', r.incomplete,
                                    'deadline', r.deadline));
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._scan_alert_events(interval, integer) IS
  'Internal: emit account.token_expiring (refresh token expires within expiry_warning; once per account and expiry, remembered in store_accounts.token_expiry_warned_for) and sync.day_incomplete (a store''s today not complete day_deadline_minutes after its midnight, in the store''s time zone; once per store and day; negative: never).';
REVOKE ALL ON FUNCTION @extschema@._scan_alert_events(interval, integer) FROM PUBLIC;

-- Events and finished deliveries older than the retention; an event with a
-- delivery still to send stays.
CREATE OR REPLACE FUNCTION @extschema@._prune_events(retention_days integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  horizon timestamptz := now() - make_interval(days => retention_days);
  n bigint;
BEGIN
  DELETE FROM @extschema@.events e
   WHERE e.occurred_at < horizon
     AND NOT EXISTS (SELECT 1 FROM @extschema@.deliveries d
                      WHERE d.store_code = e.store_code AND d.event_id = e.event_id
                        AND d.state IN ('queued', 'running'));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._prune_events(integer) IS
  'Internal: delete events (and their finished deliveries) older than retention_days.';
REVOKE ALL ON FUNCTION @extschema@._prune_events(integer) FROM PUBLIC;

------------------------------------------------------------------------------
-- What admins see.
------------------------------------------------------------------------------
-- The webhooks' URLs read with the owner's rights: on Citus an admin's query reaches
-- the shards of webhooks, whose signing secrets no role may read, so it gets no grant there.
CREATE OR REPLACE FUNCTION @extschema@._webhook_urls() RETURNS TABLE (webhook_id bigint, url text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT w.webhook_id, w.url FROM @extschema@.webhooks w
$$;
COMMENT ON FUNCTION @extschema@._webhook_urls() IS
  'Internal: every webhook''s id and URL (never its secret), read with the extension owner''s rights.';
REVOKE ALL ON FUNCTION @extschema@._webhook_urls() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._webhook_urls() TO tthub_admin;

CREATE OR REPLACE VIEW @extschema@.webhook_deliveries AS
  SELECT d.delivery_id, d.webhook_id, w.url, d.store_code, d.event_id, e.event, e.occurred_at,
         d.state::text AS state, d.attempts, d.run_after, d.last_http_status, d.last_error, d.last_duration_ms,
         d.created_at, d.started_at, d.finished_at
    FROM @extschema@.deliveries d
    JOIN @extschema@.events e ON e.store_code = d.store_code AND e.event_id = d.event_id
    JOIN @extschema@._webhook_urls() w ON w.webhook_id = d.webhook_id;
COMMENT ON VIEW @extschema@.webhook_deliveries IS
  'Each webhook delivery: its state (queued, running, done, dead), attempts and last HTTP status. tthub_redeliver(delivery_id) sends one again.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.delivery_id IS 'Delivery number (X-Tthub-Delivery).';
COMMENT ON COLUMN @extschema@.webhook_deliveries.webhook_id IS 'Webhook it goes to.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.url IS 'The webhook''s URL.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.store_code IS 'Store of the event.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.event_id IS 'Event delivered (tthub.events).';
COMMENT ON COLUMN @extschema@.webhook_deliveries.event IS 'Event name.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.occurred_at IS 'When the event happened.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.state IS 'queued, running, done or dead.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.attempts IS 'Attempts spent.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.run_after IS 'Next attempt not before.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.last_http_status IS 'HTTP status of the last attempt (NULL: no response).';
COMMENT ON COLUMN @extschema@.webhook_deliveries.last_error IS 'Why the last attempt failed.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.last_duration_ms IS 'How long the last attempt took.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.created_at IS 'When it was queued.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.started_at IS 'When the last attempt started.';
COMMENT ON COLUMN @extschema@.webhook_deliveries.finished_at IS 'When it reached done or dead.';
GRANT SELECT ON @extschema@.webhook_deliveries TO tthub_admin;
