-- Generated from src/extension_sql/0.3--0.4/ by make: edit the fragments there.
\echo Use "ALTER EXTENSION tthub UPDATE" to load this file. \quit

-- src/extension_sql/0.3--0.4/00-version.sql
-- tthub 0.3 -> 0.4: syncs that finish and fill TikTok's budget, alerts and metrics, and
-- Citus. Citus replays ALTER EXTENSION ... UPDATE on every worker node, so each
-- statement here is idempotent (IF NOT EXISTS, OR REPLACE, guarded DO blocks).

-- src/extension_sql/0.3--0.4/10-sync-resume.sql
-- Syncs that finish (issue #10): the checkpoint an attempt resumes from, and the
-- request retries a sync spent, counted in its log line.

ALTER TABLE @extschema@.sync_ledger ADD COLUMN IF NOT EXISTS next_cursor bigint;
COMMENT ON COLUMN @extschema@.sync_ledger.next_cursor IS
  'Checkpoint: TikTok''s video/list cursor for the page after the last one committed (written with that page), or NULL when paging has not started or reached the end. A later attempt of the same account and day continues from it; complete becomes true only when paging reached has_more = false.';

ALTER TABLE @extschema@.sync_logs ADD COLUMN IF NOT EXISTS request_retries integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN @extschema@.sync_logs.request_retries IS
  'TikTok requests of this attempt that failed transiently (network error, timeout, 5xx, malformed body) and were sent again in place (tthub.request_retries each).';

-- src/extension_sql/0.3--0.4/40-alerts.sql
------------------------------------------------------------------------------
-- Alerts: an outbox of events, webhooks, and a durable queue of signed deliveries
-- the worker sends. Each event is one row written in the transaction that made the
-- change it reports (no triggers: Citus refuses them; the code that changes the row
-- calls tthub._emit_event), so a rolled-back change never sends one and a committed
-- one always does. Every event is also a NOTIFY on channel tthub_events.
------------------------------------------------------------------------------

-- Looked up without a store (by id, when delivering): a reference table on Citus.
CREATE TABLE IF NOT EXISTS @extschema@.webhooks (
  webhook_id bigserial   PRIMARY KEY,
  url        text        NOT NULL CONSTRAINT webhooks_url_length CHECK (length(url) <= 2048),
  secret_enc bytea       NOT NULL,
  events     text[],
  format     text        NOT NULL DEFAULT 'json' CONSTRAINT webhooks_format_known CHECK (format IN ('json', 'slack')),
  allow_http boolean     NOT NULL DEFAULT false,
  allow_private boolean  NOT NULL DEFAULT false,
  enabled    boolean     NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.webhooks IS
  'Endpoints that receive tthub''s events as signed HTTP POSTs (tthub_add_webhook). The signing secret is readable by no role.';
COMMENT ON COLUMN @extschema@.webhooks.webhook_id IS 'Webhook number, as returned by tthub_add_webhook.';
COMMENT ON COLUMN @extschema@.webhooks.url IS 'Where deliveries are POSTed: https, or http on loopback or when allow_http. Redirects are not followed.';
COMMENT ON COLUMN @extschema@.webhooks.secret_enc IS 'Signing secret, AES-256-GCM envelope (context tthub._webhook_secret_context(webhook_id)).';
COMMENT ON COLUMN @extschema@.webhooks.events IS 'Events sent to this webhook; NULL: every event.';
COMMENT ON COLUMN @extschema@.webhooks.format IS 'json (tthub''s signed payload) or slack ({"text": ...}, for Slack incoming webhooks).';
COMMENT ON COLUMN @extschema@.webhooks.allow_http IS 'Plain http allowed to a host other than loopback; only a superuser sets it.';
COMMENT ON COLUMN @extschema@.webhooks.allow_private IS 'Deliveries may connect to internal addresses (private, link-local); only a superuser sets it.';
COMMENT ON COLUMN @extschema@.webhooks.enabled IS 'False: no new deliveries, and queued ones wait (tthub_disable_webhook).';
COMMENT ON COLUMN @extschema@.webhooks.created_at IS 'When the webhook was added.';
COMMENT ON COLUMN @extschema@.webhooks.updated_at IS 'When the row last changed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.webhooks', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.webhooks_webhook_id_seq', '');

CREATE TABLE IF NOT EXISTS @extschema@.events (
  store_code  varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  event_id    bigserial   NOT NULL,
  event       text        NOT NULL,
  data        jsonb       NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, event_id)
);
CREATE INDEX IF NOT EXISTS events_occurred_idx ON @extschema@.events (occurred_at);
COMMENT ON TABLE @extschema@.events IS
  'The outbox: one row per event, written in the transaction of the change it reports. Kept tthub.log_retention days.';
COMMENT ON COLUMN @extschema@.events.store_code IS 'Store the event concerns.';
COMMENT ON COLUMN @extschema@.events.event_id IS 'Event number (increasing); the "id" of its NOTIFY.';
COMMENT ON COLUMN @extschema@.events.event IS 'account.connected, account.need_reconnect, account.token_expiring, sync.failed, job.dead or sync.day_incomplete.';
COMMENT ON COLUMN @extschema@.events.data IS 'What happened (open_id, reason, error, job_id, ...); never a token or secret.';
COMMENT ON COLUMN @extschema@.events.occurred_at IS 'When the transaction that made the change started.';

-- A sibling of sync_jobs rather than a job type in it: a sync claim hands out at most
-- one job per store, max_concurrent_syncs slots and one pending job per store and day,
-- and a delivery must wait for none of those. The semantics are the same: queued /
-- running / done / dead, attempts, run_after, a lease held by the worker's pid.
CREATE TABLE IF NOT EXISTS @extschema@.deliveries (
  store_code       varchar(50) NOT NULL,
  delivery_id      bigserial   NOT NULL,
  event_id         bigint      NOT NULL,
  webhook_id       bigint      NOT NULL REFERENCES @extschema@.webhooks (webhook_id) ON DELETE CASCADE,
  state            @extschema@.job_state NOT NULL DEFAULT 'queued',
  attempts         integer     NOT NULL DEFAULT 0,
  run_after        timestamptz NOT NULL DEFAULT now(),
  lease_until      timestamptz,
  worker_pid       integer,
  last_http_status integer,
  last_error       text,
  last_duration_ms integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_code, delivery_id),
  FOREIGN KEY (store_code, event_id) REFERENCES @extschema@.events (store_code, event_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS deliveries_queued_idx ON @extschema@.deliveries (run_after) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS deliveries_running_idx ON @extschema@.deliveries (webhook_id) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS deliveries_webhook_idx ON @extschema@.deliveries (webhook_id);
COMMENT ON TABLE @extschema@.deliveries IS
  'Webhook delivery queue: one row per event and webhook, sent by the sync worker under a lease, retried with backoff, dead after tthub.max_attempts.';
COMMENT ON COLUMN @extschema@.deliveries.store_code IS 'Store of the event.';
COMMENT ON COLUMN @extschema@.deliveries.delivery_id IS 'Delivery number: the X-Tthub-Delivery header and the payload''s "id", the same on every retry.';
COMMENT ON COLUMN @extschema@.deliveries.event_id IS 'The event delivered.';
COMMENT ON COLUMN @extschema@.deliveries.webhook_id IS 'The webhook it goes to.';
COMMENT ON COLUMN @extschema@.deliveries.state IS 'queued, running (on the wire), done (2xx) or dead (attempts spent).';
COMMENT ON COLUMN @extschema@.deliveries.attempts IS 'Attempts spent (a delivery interrupted by a shutdown spends none).';
COMMENT ON COLUMN @extschema@.deliveries.run_after IS 'Not sent before this time (backoff).';
COMMENT ON COLUMN @extschema@.deliveries.lease_until IS 'A running delivery whose lease passed is taken again (its worker died).';
COMMENT ON COLUMN @extschema@.deliveries.worker_pid IS 'Process sending it.';
COMMENT ON COLUMN @extschema@.deliveries.last_http_status IS 'HTTP status of the last attempt (NULL: no response).';
COMMENT ON COLUMN @extschema@.deliveries.last_error IS 'Why the last attempt failed: status, timeout or network error (never the response body).';
COMMENT ON COLUMN @extschema@.deliveries.last_duration_ms IS 'How long the last attempt took.';
COMMENT ON COLUMN @extschema@.deliveries.created_at IS 'When the event queued it.';
COMMENT ON COLUMN @extschema@.deliveries.started_at IS 'When the last attempt started.';
COMMENT ON COLUMN @extschema@.deliveries.finished_at IS 'When it reached done or dead.';
COMMENT ON COLUMN @extschema@.deliveries.updated_at IS 'Last change.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.deliveries', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.deliveries_delivery_id_seq', '');

CREATE OR REPLACE FUNCTION @extschema@._event_names() RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN ARRAY['account.connected', 'account.need_reconnect', 'account.token_expiring', 'sync.failed',
               'job.dead', 'sync.day_incomplete'];
END
$$;
COMMENT ON FUNCTION @extschema@._event_names() IS 'The events tthub emits.';

CREATE OR REPLACE FUNCTION @extschema@._webhook_secret_context(webhook_id bigint) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- A colon never occurs in a token's context (store codes exclude it): a secret's
  -- ciphertext copied into a token column fails to decrypt, and the reverse.
  RETURN 'tthub-webhook:' || webhook_id || ':signing_secret';
END
$$;
COMMENT ON FUNCTION @extschema@._webhook_secret_context(bigint) IS
  'The authenticated context of a webhook''s encrypted signing secret.';

-- The event, its deliveries and its NOTIFY, in the caller's transaction.
CREATE OR REPLACE FUNCTION @extschema@._emit_event(event text, store_code varchar, data jsonb) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
  at timestamptz := now();
  queued integer;
  note text;
BEGIN
  IF NOT (event = ANY (@extschema@._event_names())) THEN
    RAISE EXCEPTION 'unknown event "%"', event USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO @extschema@.events (store_code, event, data, occurred_at)
  VALUES (_emit_event.store_code, _emit_event.event, coalesce(_emit_event.data, '{}'), at)
  RETURNING events.event_id INTO id;
  INSERT INTO @extschema@.deliveries (store_code, event_id, webhook_id, run_after, created_at, updated_at)
  SELECT _emit_event.store_code, id, w.webhook_id, at, at, at
    FROM @extschema@.webhooks w
   WHERE w.enabled AND (w.events IS NULL OR _emit_event.event = ANY (w.events));
  GET DIAGNOSTICS queued = ROW_COUNT;
  -- Any role may LISTEN (Postgres checks no privilege on it), so the payload names the
  -- event and nothing more: its data (open_id, errors, reasons) stays in tthub.events,
  -- which only tthub_admin reads.
  note := pg_catalog.json_build_object('id', id, 'event', event, 'store_code', _emit_event.store_code,
                                       'occurred_at', at)::text;
  PERFORM pg_catalog.pg_notify('tthub_events', note);
  IF queued > 0 THEN
    PERFORM @extschema@._wake_worker();
  END IF;
  RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@._emit_event(text, varchar, jsonb) IS
  'Internal: record an event in the outbox, queue a delivery to each webhook that wants it and NOTIFY tthub_events, all in the caller''s transaction.';
REVOKE ALL ON FUNCTION @extschema@._emit_event(text, varchar, jsonb) FROM PUBLIC;

------------------------------------------------------------------------------
-- Managing webhooks (tthub_admin).
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._check_webhook_url(url text, allow_http boolean) RETURNS void
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  host text := lower(substring(url FROM '^[A-Za-z]+://([^/?#]*)'));
BEGIN
  IF url IS NULL OR length(url) > 2048 OR url !~ '^https?://[^/?#@\s]+(:[0-9]+)?([/?#]\S*)?$' THEN
    RAISE EXCEPTION 'a webhook URL is http(s)://host[:port]/path, without credentials or spaces, at most 2048 characters'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF url ~ '^http://' AND NOT coalesce(allow_http, false)
     AND host !~ '^(127(\.[0-9]{1,3}){3}|localhost|\[::1\])(:[0-9]+)?$' THEN
    RAISE EXCEPTION 'a webhook URL must use https unless it is on loopback'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A superuser may pass allow_http => true to send events in clear text to this host.';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._check_webhook_url(text, boolean) IS
  'Internal: refuse a webhook URL that is not http(s), carries credentials, or is plain http off loopback without allow_http.';

CREATE OR REPLACE FUNCTION @extschema@.tthub_add_webhook(url text, signing_secret text, events text[] DEFAULT NULL,
    format text DEFAULT 'json', allow_http boolean DEFAULT false, allow_private boolean DEFAULT false) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  -- A refused call is not logged with its statement: the secret is one of its literals
  -- (as tthub_import_account, 0.2--0.3/70-token-logging.sql).
  SET log_min_error_statement = panic
AS $$
DECLARE
  id bigint;
  secret_enc bytea;
BEGIN
  -- The worker that sends deliveries is a superuser: tthub_admin may not point it at
  -- the private network (or in clear text across it); a superuser may.
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
  'Add a webhook: POSTs each event (NULL events: every one) to url, signed with signing_secret (stored encrypted, never readable). format => ''slack'' sends {"text": ...}. allow_http, allow_private (superuser only): plain http off loopback, internal addresses. Returns its id.';
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
-- never holds back another's.
CREATE OR REPLACE FUNCTION @extschema@._claim_deliveries(max_total integer, per_webhook integer, lease interval,
    pid integer)
  RETURNS TABLE (store_code text, delivery_id bigint, webhook_id bigint, attempts integer, event text,
                 occurred_at text, data text, url text, secret_enc bytea, format text, allow_private boolean)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
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
  spent integer;
  outcome text;
BEGIN
  SELECT d.attempts INTO spent FROM @extschema@.deliveries d
   WHERE d.store_code = _finish_delivery.store_code AND d.delivery_id = _finish_delivery.delivery_id
     AND d.state = 'running' AND d.worker_pid = pg_catalog.pg_backend_pid()
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
-- a place, and the worker claims again then.
CREATE OR REPLACE FUNCTION @extschema@._next_delivery_due_ms(per_webhook integer) RETURNS bigint
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  next_run timestamptz;
BEGIN
  SELECT min(q.run_after) INTO next_run
    FROM @extschema@.deliveries q JOIN @extschema@.webhooks w ON w.webhook_id = q.webhook_id AND w.enabled
   WHERE q.state = 'queued'
     AND (SELECT count(*) FROM @extschema@.deliveries r
           WHERE r.webhook_id = q.webhook_id AND r.state = 'running') < per_webhook;
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
  today date := @extschema@.snapshot_today();
  tz text := coalesce(nullif(current_setting('tthub.snapshot_timezone', true), ''), 'UTC');
  deadline timestamptz;
BEGIN
  FOR r IN
    SELECT a.store_code, a.open_id, a.refresh_token_expires_at AS expires
      FROM @extschema@.store_accounts a
      JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
     WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at < now() + expiry_warning
       AND NOT EXISTS (SELECT 1 FROM @extschema@.events e
                        WHERE e.store_code = a.store_code AND e.event = 'account.token_expiring'
                          AND e.data ->> 'open_id' = a.open_id
                          AND (e.data ->> 'refresh_token_expires_at')::timestamptz = a.refresh_token_expires_at)
  LOOP
    PERFORM @extschema@._emit_event('account.token_expiring', r.store_code,
      pg_catalog.jsonb_build_object('open_id', r.open_id, 'refresh_token_expires_at', r.expires));
    n := n + 1;
  END LOOP;

  IF day_deadline_minutes IS NULL OR day_deadline_minutes < 0 THEN
    RETURN n;
  END IF;
  deadline := (today::timestamp + make_interval(mins => day_deadline_minutes)) AT TIME ZONE tz;
  IF now() < deadline THEN
    RETURN n;
  END IF;
  FOR r IN
    SELECT a.store_code, count(*) AS incomplete
      FROM @extschema@.store_accounts a
      JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
     WHERE a.status IN ('CONNECTED', 'ERROR') AND a.connected_at < deadline
       AND NOT EXISTS (SELECT 1 FROM @extschema@.sync_ledger l
                        WHERE l.store_code = a.store_code AND l.open_id = a.open_id
                          AND l.snapshot_date = today AND l.complete)
     GROUP BY a.store_code
    HAVING NOT EXISTS (SELECT 1 FROM @extschema@.events e
                        WHERE e.store_code = a.store_code AND e.event = 'sync.day_incomplete'
                          AND e.data ->> 'snapshot_date' = today::text)
  LOOP
    PERFORM @extschema@._emit_event('sync.day_incomplete', r.store_code,
      pg_catalog.jsonb_build_object('snapshot_date', today::text, 'accounts_incomplete', r.incomplete,
                                    'deadline', deadline));
    n := n + 1;
  END LOOP;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._scan_alert_events(interval, integer) IS
  'Internal: emit account.token_expiring (refresh token expires within expiry_warning; once per account and expiry) and sync.day_incomplete (today not complete day_deadline_minutes after midnight in tthub.snapshot_timezone; once per store and day; negative: never).';
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
-- Where events come from in SQL: an account imported is an account connected.
-- The same function as before, plus the event in its transaction.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_import_account(store_code text, open_id text, access_token text,
    refresh_token text, expires_in bigint, refresh_expires_in bigint, scope text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  -- CREATE OR REPLACE resets the settings: the tokens stay out of the log (0.2--0.3/70-token-logging.sql).
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
  PERFORM @extschema@._emit_event('account.connected', store_code,
    pg_catalog.jsonb_build_object('open_id', open_id, 'via', 'import'));
END
$$;

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
GRANT SELECT ON @extschema@.webhook_deliveries, @extschema@.events TO tthub_admin;

-- src/extension_sql/0.3--0.4/70-citus-node-role.sql
------------------------------------------------------------------------------
-- Citus: where am I? On a Citus cluster every tthub write, sync, claim, store lock
-- and token operation happens on the coordinator: advisory locks and process ids
-- are node-local, and worker nodes hold no token key (README: Running on Citus).
-- The C++ side asks the same question in src/ext/citus/node_role.cpp.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._citus_node_role() RETURNS text
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  grp integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    RETURN 'none';
  END IF;
  -- Dynamic: pg_dist_local_group exists only where Citus is installed.
  EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO grp;
  RETURN CASE WHEN grp = 0 THEN 'coordinator' ELSE 'worker' END;
END
$$;
COMMENT ON FUNCTION @extschema@._citus_node_role() IS
  'Internal: none (no Citus in this database), coordinator, or worker (a Citus worker node, where tthub only stores shards).';

CREATE OR REPLACE FUNCTION @extschema@._require_coordinator(what text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF @extschema@._citus_node_role() = 'worker' THEN
    RAISE EXCEPTION '% must run on the Citus coordinator, not on a worker node', what
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Syncs, claims, store locks and tokens are the coordinator''s: its locks and processes are not visible from other nodes, and worker nodes hold no token key.',
            HINT = 'Connect to the coordinator and run it there.';
  END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._require_coordinator(text) IS
  'Internal: raises 55000 when called on a Citus worker node (what names the refused operation).';

-- src/extension_sql/0.3--0.4/72-citus-queue.sql
------------------------------------------------------------------------------
-- Citus: the queue functions in shapes Citus distributes. Same behaviour on one
-- node. Citus refuses FOR UPDATE without a store_code equality, parameterised
-- LANGUAGE sql functions over its tables, and now() inside CASE or COALESCE in an
-- UPDATE or DELETE.
------------------------------------------------------------------------------

-- The job's store first (no lock), then the row locked with the store_code equality.
CREATE OR REPLACE FUNCTION @extschema@.tthub_retry_job(job_id bigint) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  sc varchar(50);
  j @extschema@.sync_jobs;
BEGIN
  PERFORM @extschema@._require_coordinator('tthub_retry_job');
  SELECT s.store_code INTO sc FROM @extschema@.sync_jobs s WHERE s.job_id = tthub_retry_job.job_id;
  IF FOUND THEN
    SELECT * INTO j FROM @extschema@.sync_jobs s
     WHERE s.store_code = sc AND s.job_id = tthub_retry_job.job_id
       FOR UPDATE;
  END IF;
  IF j.job_id IS NULL THEN
    RAISE EXCEPTION 'sync job % does not exist', job_id USING ERRCODE = 'no_data_found';
  END IF;
  IF j.state NOT IN ('dead', 'failed') THEN
    RAISE EXCEPTION 'sync job % is %, only dead or failed jobs can be retried', job_id, j.state
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  BEGIN
    UPDATE @extschema@.sync_jobs s
       SET state = 'queued', attempts = 0, run_after = now(), finished_at = NULL, lease_until = NULL,
           worker_pid = NULL, last_error = NULL, last_http_status = NULL, updated_at = now()
     WHERE s.store_code = j.store_code AND s.job_id = j.job_id;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'store "%" already has a pending sync for %', j.store_code, j.snapshot_date
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END;
  PERFORM @extschema@._wake_worker();
  RETURN job_id;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_retry_job(bigint) IS 'Put a dead or failed job back in the queue with fresh attempts.';
REVOKE ALL ON FUNCTION @extschema@.tthub_retry_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_retry_job(bigint) TO tthub_admin;

-- Process ids are node-local: only the coordinator, where the sync worker and
-- tthub_sync_now run, can tell whether a job's process is gone. On a worker node the
-- requeue does nothing (it would take the coordinator's live jobs for orphans).
CREATE OR REPLACE FUNCTION @extschema@._requeue_orphans(max_attempts integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lost constant text := 'the worker running this job stopped';
  stores varchar[];
  jobs bigint[];
  states @extschema@.job_state[];
  data jsonb;
BEGIN
  IF @extschema@._citus_node_role() = 'worker' THEN
    RETURN 0;
  END IF;
  -- Collected first, the events emitted after: Citus allows no stable function (the
  -- enum's text) in RETURNING, nor another distributed statement while one is open.
  WITH orphans AS (
    UPDATE @extschema@.sync_jobs j
       SET state = CASE WHEN j.attempts >= max_attempts THEN 'dead'::@extschema@.job_state
                        ELSE 'queued'::@extschema@.job_state END,
           finished_at = now() + CASE WHEN j.attempts >= max_attempts THEN interval '0' END,
           last_error = lost,
           lease_until = NULL, worker_pid = NULL, current_open_id = NULL, run_after = now(), updated_at = now()
     WHERE j.state = 'running'
       AND (j.lease_until < now()
            OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                            WHERE a.pid = j.worker_pid AND a.backend_start <= j.started_at))
    RETURNING j.store_code, j.job_id, j.state)
  SELECT array_agg(o.store_code), array_agg(o.job_id), array_agg(o.state) INTO stores, jobs, states FROM orphans o;
  FOR i IN 1 .. coalesce(cardinality(jobs), 0) LOOP
    -- The attempt is spent, as queue::finish's failed attempts are: the same events.
    data := pg_catalog.jsonb_build_object('job_id', jobs[i], 'error', lost, 'next_state', states[i]::text);
    PERFORM @extschema@._emit_event('sync.failed', stores[i], data);
    IF states[i] = 'dead' THEN
      PERFORM @extschema@._emit_event('job.dead', stores[i], data);
    END IF;
  END LOOP;
  RETURN coalesce(cardinality(jobs), 0);
END
$$;
COMMENT ON FUNCTION @extschema@._requeue_orphans(integer) IS
  'Internal: put running jobs whose process is gone (or whose lease passed) back in the queue, or mark them dead when their attempts are spent. Does nothing on a Citus worker node.';
REVOKE ALL ON FUNCTION @extschema@._requeue_orphans(integer) FROM PUBLIC;

-- PL/pgSQL: Citus cannot plan a parameterised LANGUAGE sql function over its tables.
CREATE OR REPLACE FUNCTION @extschema@._prune(retention_days integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cutoff timestamptz := now() - make_interval(days => retention_days);
  on_citus constant boolean := @extschema@._citus_node_role() <> 'none';
  enforced text;
  n bigint;
  total bigint := 0;
BEGIN
  DELETE FROM @extschema@.sync_jobs
   WHERE state IN ('done', 'failed', 'dead', 'skipped') AND finished_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  DELETE FROM @extschema@.sync_logs WHERE started_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  -- On Citus, modifying a reference table that others reference (oauth_invites) after
  -- a parallel query in the same transaction (the worker's maintenance runs one) is
  -- refused, to keep foreign-key checks on one connection per node. No distributed
  -- table references the OAuth tables, so that check protects nothing here.
  IF on_citus THEN
    enforced := current_setting('citus.enforce_foreign_key_restrictions');
    PERFORM set_config('citus.enforce_foreign_key_restrictions', 'off', true);
  END IF;
  DELETE FROM @extschema@.oauth_states WHERE expires_at < now() - interval '1 day';
  GET DIAGNOSTICS n = ROW_COUNT;
  total := total + n;
  DELETE FROM @extschema@.oauth_invites WHERE expires_at < cutoff;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF on_citus THEN
    PERFORM set_config('citus.enforce_foreign_key_restrictions', enforced, true);
  END IF;
  RETURN total + n;
END
$$;
COMMENT ON FUNCTION @extschema@._prune(integer) IS
  'Internal: delete finished jobs and sync logs older than the retention, OAuth states expired a day ago, and connect links expired longer than the retention.';
REVOKE ALL ON FUNCTION @extschema@._prune(integer) FROM PUBLIC;

-- src/extension_sql/0.3--0.4/74-citus-stores.sql
------------------------------------------------------------------------------
-- Citus: disabling a store without now() inside COALESCE (Citus refuses it in an
-- UPDATE of its tables). The first disable sets disabled_at; a repeated one only
-- touches updated_at, as before.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_disable_store(store_code text) RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._require_store(store_code);
  UPDATE @extschema@.stores s SET disabled_at = now(), updated_at = now()
   WHERE s.store_code = tthub_disable_store.store_code AND s.disabled_at IS NULL;
  IF NOT FOUND THEN
    UPDATE @extschema@.stores s SET updated_at = now() WHERE s.store_code = tthub_disable_store.store_code;
  END IF;
  -- Jobs not started yet are dropped; a running one finishes.
  DELETE FROM @extschema@.sync_jobs j WHERE j.store_code = tthub_disable_store.store_code AND j.state = 'queued';
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_disable_store(text) IS 'Stop syncing a store (queued jobs are dropped); its accounts and snapshots stay.';
REVOKE ALL ON FUNCTION @extschema@.tthub_disable_store(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_disable_store(text) TO tthub_admin;

-- src/extension_sql/0.3--0.4/76-citus-token-rotation.sql
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
REVOKE ALL ON FUNCTION @extschema@.tthub_rotate_token_key() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.tthub_rotate_token_key() IS
  'Re-encrypts every stored token and webhook signing secret with the current key (in one transaction, on the coordinator); returns how many were rewritten. Superusers only.';

-- src/extension_sql/0.3--0.4/78-citus-monitoring.sql
------------------------------------------------------------------------------
-- Citus: reporting and monitoring that work distributed, and the same on one node.
------------------------------------------------------------------------------

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
$$;
COMMENT ON FUNCTION @extschema@._accounts_without_tokens() IS
  'Internal: every account row without its token columns, read with the extension owner''s rights (what tthub.accounts shows).';
REVOKE ALL ON FUNCTION @extschema@._accounts_without_tokens() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._accounts_without_tokens() TO tthub_admin, tthub_reader;

CREATE OR REPLACE VIEW @extschema@.accounts AS
  SELECT store_code::varchar(50) AS store_code, open_id::varchar(128) AS open_id, display_name, avatar_url, scope, status, status_reason,
         token_expires_at, refresh_token_expires_at, last_sync_at, connected_at, updated_at
    FROM @extschema@._accounts_without_tokens();
COMMENT ON VIEW @extschema@.accounts IS 'Connected TikTok accounts without their token columns.';

-- store_summary without LATERAL from the stores (a reference table on Citus) into
-- the distributed tables, which Citus refuses ("complex joins"): stores LEFT JOIN
-- three per-store aggregates grouped by store_code. The per-account lookups stay
-- inside the user_daily aggregate, correlated on store_code, so they run on the
-- shards. Same columns, types and figures as before.
CREATE OR REPLACE VIEW @extschema@.store_summary AS
  SELECT s.store_code, s.store_name, s.disabled_at IS NULL AS active,
         coalesce(a.accounts, 0) AS accounts,
         coalesce(a.connected, 0) AS accounts_connected,
         coalesce(a.need_reconnect, 0) AS accounts_need_reconnect,
         coalesce(a.in_error, 0) AS accounts_error,
         g.latest_snapshot_date, g.followers::bigint AS followers, g.likes::bigint AS likes,
         g.videos::bigint AS videos,
         (g.followers - g.followers_7d)::bigint AS follower_growth_7d,
         (g.followers - g.followers_30d)::bigint AS follower_growth_30d,
         (g.likes - g.likes_7d)::bigint AS likes_growth_7d,
         (g.likes - g.likes_30d)::bigint AS likes_growth_30d,
         l.last_success AS last_successful_sync,
         coalesce(l.failures, 0) AS consecutive_failures
    FROM @extschema@.stores s
    LEFT JOIN (
      SELECT sa.store_code,
             count(*) AS accounts,
             count(*) FILTER (WHERE sa.status = 'CONNECTED') AS connected,
             count(*) FILTER (WHERE sa.status = 'NEED_RECONNECT') AS need_reconnect,
             count(*) FILTER (WHERE sa.status = 'ERROR') AS in_error
        FROM @extschema@.accounts sa
       GROUP BY sa.store_code) a ON a.store_code = s.store_code
    LEFT JOIN (
      -- Per account: the latest snapshot, and the latest on or before 7 and 30 days
      -- earlier (so a missing day does not empty the growth figure).
      SELECT cur.store_code, max(cur.snapshot_date) AS latest_snapshot_date,
             sum(cur.follower_count) AS followers, sum(cur.likes_count) AS likes, sum(cur.video_count) AS videos,
             sum(w7.follower_count) AS followers_7d, sum(w30.follower_count) AS followers_30d,
             sum(w7.likes_count) AS likes_7d, sum(w30.likes_count) AS likes_30d
        FROM (SELECT DISTINCT ON (u.store_code, u.open_id) u.*
                FROM @extschema@.user_daily u
               ORDER BY u.store_code, u.open_id, u.snapshot_date DESC) cur
        LEFT JOIN LATERAL (SELECT p.follower_count, p.likes_count FROM @extschema@.user_daily p
                            WHERE p.store_code = cur.store_code AND p.open_id = cur.open_id
                              AND p.snapshot_date <= cur.snapshot_date - 7
                            ORDER BY p.snapshot_date DESC LIMIT 1) w7 ON true
        LEFT JOIN LATERAL (SELECT p.follower_count, p.likes_count FROM @extschema@.user_daily p
                            WHERE p.store_code = cur.store_code AND p.open_id = cur.open_id
                              AND p.snapshot_date <= cur.snapshot_date - 30
                            ORDER BY p.snapshot_date DESC LIMIT 1) w30 ON true
       GROUP BY cur.store_code) g ON g.store_code = s.store_code
    LEFT JOIN (
      -- The last success, and the failed attempts since it.
      SELECT x.store_code, max(x.last_success) AS last_success,
             count(*) FILTER (WHERE x.status = 'FAILED'
                                AND x.started_at > coalesce(x.last_success, '-infinity')) AS failures
        FROM (SELECT sl.store_code, sl.status, sl.started_at,
                     max(sl.completed_at) FILTER (WHERE sl.status = 'SUCCESS')
                       OVER (PARTITION BY sl.store_code) AS last_success
                FROM @extschema@.sync_logs sl
               WHERE sl.job_type NOT LIKE 'oauth%') x
       GROUP BY x.store_code) l ON l.store_code = s.store_code;
COMMENT ON VIEW @extschema@.store_summary IS 'One row per store: accounts by status, latest counts, 7- and 30-day growth, last successful sync, failures since.';

-- The sync workers serving this database. On Citus they are counted across the
-- cluster (citus_stat_activity): one is expected, on the coordinator, and a worker
-- node's own pg_stat_activity or shared memory would not see it. Without Citus,
-- shared memory (worker_pid()), which tells every role the truth.
CREATE OR REPLACE FUNCTION @extschema@._sync_workers_running() RETURNS integer
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n integer;
BEGIN
  IF @extschema@._citus_node_role() = 'none' THEN
    RETURN (@extschema@.worker_pid() IS NOT NULL)::integer;
  END IF;
  EXECUTE 'SELECT count(*) FROM pg_catalog.citus_stat_activity
            WHERE backend_type = ''tthub sync worker'' AND datname = current_database()' INTO n;
  RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@._sync_workers_running() IS
  'Internal: tthub sync workers alive for this database; on Citus, counted on every node (citus_stat_activity).';
REVOKE ALL ON FUNCTION @extschema@._sync_workers_running() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._sync_workers_running() TO tthub_admin, tthub_reader;

CREATE OR REPLACE VIEW @extschema@.health AS
  SELECT metric, value, help FROM (VALUES
    ('tthub_jobs_queued', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'queued')::float8, 'Sync jobs waiting to run.'),
    ('tthub_jobs_running', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'running')::float8, 'Sync jobs running.'),
    ('tthub_jobs_dead', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'dead')::float8, 'Jobs whose retries ran out (see tthub.dead_jobs).'),
    ('tthub_accounts_connected', (SELECT count(*) FROM @extschema@.accounts WHERE status = 'CONNECTED')::float8, 'Accounts synced daily.'),
    ('tthub_accounts_need_reconnect', (SELECT count(*) FROM @extschema@.accounts WHERE status = 'NEED_RECONNECT')::float8, 'Accounts whose owner must reconnect.'),
    ('tthub_accounts_error', (SELECT count(*) FROM @extschema@.accounts WHERE status = 'ERROR')::float8, 'Accounts whose last sync failed.'),
    ('tthub_last_daily_run_age_seconds',
     (SELECT extract(epoch FROM now() - max(finished_at)) FROM @extschema@.sync_jobs
       WHERE job_type = 'daily_sync' AND state = 'done')::float8,
     'Seconds since a daily sync job last finished (NULL: never).'),
    ('tthub_oldest_pending_job_age_seconds',
     coalesce((SELECT extract(epoch FROM now() - min(created_at)) FROM @extschema@.sync_jobs
                WHERE state IN ('queued', 'running'))::float8, 0),
     'Age of the oldest queued or running job (0: none).'),
    ('tthub_worker_running', @extschema@._sync_workers_running()::float8,
     'tthub sync workers alive for this database (1 expected; on Citus, counted on every node).'),
    ('tthub_jobs_failed', (SELECT count(*) FROM @extschema@.sync_jobs WHERE state = 'failed')::float8,
     'Jobs that ended failed: no account could be synced and retrying cannot help (kept tthub.log_retention days; tthub_retry_job puts one back).'),
    ('tthub_sync_attempts_failed_24h',
     (SELECT count(*) FROM @extschema@.sync_logs
       WHERE status = 'FAILED' AND started_at > now() - interval '24 hours')::float8,
     'Attempts logged FAILED in tthub.sync_logs during the last 24 hours.'),
    ('tthub_accounts_stale',
     (SELECT count(*) FROM @extschema@.accounts a
        JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
       WHERE a.status IN ('CONNECTED', 'ERROR') AND a.connected_at < now() - interval '1 day'
         AND (a.store_code, a.open_id) NOT IN (  -- uncorrelated: Citus plans it on its own
               SELECT l.store_code, l.open_id FROM @extschema@.sync_ledger l
                WHERE l.complete AND l.snapshot_date >= @extschema@.snapshot_today() - 1))::float8,
     'Accounts to sync (CONNECTED or ERROR, store active, connected over a day ago) with no complete snapshot day since yesterday.'),
    ('tthub_incomplete_days_7d',
     (SELECT count(*) FROM @extschema@.sync_ledger l
       WHERE NOT l.complete AND l.snapshot_date >= @extschema@.snapshot_today() - 7
         AND l.snapshot_date < @extschema@.snapshot_today())::float8,
     'Account-days of the last 7 days (today excluded) whose latest sync stopped before the end of the video list (tthub.sync_ledger).'),
    ('tthub_refresh_tokens_expiring_7d',
     (SELECT count(*) FROM @extschema@.accounts a
        JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
       WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at < now() + interval '7 days')::float8,
     'Accounts to sync (CONNECTED or ERROR, store active) whose refresh token expires within 7 days or has expired: their owner must reconnect.')
  ) AS m(metric, value, help);
COMMENT ON VIEW @extschema@.health IS 'tthub''s health, one row per metric (Prometheus-style names), for monitoring. The same for every role that may read it.';

-- Table sizes. Citus's citus_tables and citus_shards list no table that belongs to an
-- extension, so on Citus the sizes come from pg_dist_shard and citus_shard_sizes()
-- (every placement, every node); on one node from pg_total_relation_size().
CREATE OR REPLACE FUNCTION @extschema@.tthub_table_sizes()
  RETURNS TABLE (table_name text, citus_table_type text, shards integer, nodes integer, total_bytes bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF @extschema@._citus_node_role() = 'none' THEN
    RETURN QUERY
      SELECT c.relname::text, 'local'::text, 0, 1, pg_catalog.pg_total_relation_size(c.oid)
        FROM pg_catalog.pg_class c
       WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
       ORDER BY 1;
    RETURN;
  END IF;
  RETURN QUERY EXECUTE $q$
    WITH tables AS (
      SELECT c.oid, c.relname::text AS relname,
             CASE p.partmethod WHEN 'h' THEN 'distributed' WHEN 'n' THEN 'reference' ELSE 'local' END AS kind
        FROM pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = c.oid
       WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'),
    placements AS (
      SELECT s.logicalrelid AS oid, count(DISTINCT s.shardid)::integer AS shards,
             count(DISTINCT pl.groupid)::integer AS nodes
        FROM pg_catalog.pg_dist_shard s
        JOIN pg_catalog.pg_dist_placement pl ON pl.shardid = s.shardid
       GROUP BY s.logicalrelid),
    sizes AS (  -- one row per placement: a reference table counts once per node
      SELECT s.logicalrelid AS oid, sum(z.size)::bigint AS bytes
        FROM pg_catalog.pg_dist_shard s
        JOIN pg_catalog.citus_shard_sizes() z ON z.shard_id = s.shardid
       GROUP BY s.logicalrelid)
    SELECT t.relname, t.kind, coalesce(pl.shards, 0), coalesce(pl.nodes, 1),
           coalesce(z.bytes, pg_catalog.pg_total_relation_size(t.oid))
      FROM tables t LEFT JOIN placements pl ON pl.oid = t.oid LEFT JOIN sizes z ON z.oid = t.oid
     ORDER BY 1 $q$;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_table_sizes() IS
  'Size of every tthub table: on Citus, summed over all shard placements on all nodes (Citus''s citus_tables hides extension tables), with its Citus table type, shards and nodes; on one node its local size.';
REVOKE ALL ON FUNCTION @extschema@.tthub_table_sizes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tthub_table_sizes() TO tthub_admin;

-- src/extension_sql/0.3--0.4/80-citus-distribute.sql
------------------------------------------------------------------------------
-- Citus: tthub_distribute() turns an install on a Citus coordinator into a
-- distributed one, in one transaction. Tables looked up without store_code
-- (stores, the OAuth tables: every table whose primary key lacks store_code) become
-- reference tables, copied to every node; every table keyed by store_code is
-- distributed by store_code and colocated with store_accounts, so that one store's
-- rows of every table live in one shard group and a single-store query goes to one
-- node. Idempotent: a table an update added later is distributed by the next call.
-- Distribution of extension tables cannot be undone (Citus refuses
-- undistribute_table on them); tthub_uninstall_prepare() removes the shards.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_distribute(shard_count integer DEFAULT 32) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ext_oid oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'tthub');
  my_version text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'tthub');
  anchor constant regclass := '@extschema@.store_accounts'::regclass;
  bad text;
  r record;
  progress boolean;
  new_reference text[] := '{}';
  new_distributed text[] := '{}';
  citus_tables integer;
  placement_summary text;
  quiet text;
BEGIN
  ---------------------------------------------------------------- preconditions
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
    RAISE EXCEPTION 'Citus is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'On every node put citus first in shared_preload_libraries and CREATE EXTENSION citus; add the workers with citus_add_node() on the coordinator; then call tthub_distribute() there (README: Running on Citus).';
  END IF;
  IF @extschema@._citus_node_role() <> 'coordinator' THEN
    RAISE EXCEPTION 'tthub_distribute() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Connect to the coordinator and call it there.';
  END IF;
  IF shard_count IS NULL OR shard_count < 1 OR shard_count > 64000 THEN
    RAISE EXCEPTION 'shard_count must be between 1 and 64000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_node n
                  WHERE n.isactive AND n.noderole = 'primary' AND (n.groupid <> 0 OR n.shouldhaveshards)) THEN
    RAISE EXCEPTION 'this Citus cluster has no node to hold shards'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Add the workers with SELECT citus_add_node(host, port); for single-node Citus, SELECT citus_set_coordinator_host(host, port) and SELECT citus_set_node_property(host, port, ''shouldhaveshards'', true).';
  END IF;
  -- Citus ran CREATE EXTENSION tthub (and every update) on the workers; a worker that
  -- missed one has other tables than ours.
  SELECT string_agg(format('%s:%s has %s', w.nodename, w.nodeport,
                           CASE WHEN w.success THEN 'tthub ' || w.result ELSE 'an error: ' || w.result END), '; ')
    INTO bad
    FROM pg_catalog.run_command_on_workers(
           $q$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'tthub'), 'not installed')$q$) w
   WHERE NOT w.success OR w.result IS DISTINCT FROM my_version;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'every worker node needs tthub %, as the coordinator has', my_version
      USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = bad,
            HINT = 'Install the same tthub package on every node, then ALTER EXTENSION tthub UPDATE on the coordinator (Citus runs it on the workers).';
  END IF;
  -- Workers preload tthub (its settings exist only then) with the sync worker off.
  SELECT string_agg(format('%s:%s %s', w.nodename, w.nodeport,
                           CASE WHEN NOT w.success THEN 'does not preload tthub'
                                WHEN split_part(w.result, '/', 1) <> 'off' THEN 'has tthub.worker_enabled on'
                                ELSE 'runs a tthub sync worker' END), '; ')
    INTO bad
    FROM pg_catalog.run_command_on_workers(
           $q$SELECT current_setting('tthub.worker_enabled') || '/' ||
                     (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'tthub sync worker')$q$) w
   WHERE NOT w.success OR w.result <> 'off/0';
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'every worker node must preload tthub with its sync worker off'
      USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = bad,
            HINT = 'On each worker node set shared_preload_libraries = ''citus,tthub'' and tthub.worker_enabled = off, then restart it. Only the coordinator syncs.';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object d JOIN pg_catalog.pg_extension e ON e.oid = d.objid
              WHERE d.classid = 'pg_catalog.pg_extension'::regclass AND e.extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron was created with Citus DDL propagation on'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Citus would create pg_cron on every node it adds, and that fails where pg_cron is not preloaded.',
            HINT = 'Note your cron jobs, then: DROP EXTENSION pg_cron; SET citus.enable_ddl_propagation = off; CREATE EXTENSION pg_cron; RESET citus.enable_ddl_propagation; and schedule them again.';
  END IF;
  -- One connection per node from here on: a multi-shard query run in parallel would
  -- forbid the DDL below (FKs, grants) in this transaction.
  PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
  -- The worker's next claim waits for this transaction; a running job would write
  -- to the local tables while they are copied into shards.
  LOCK TABLE @extschema@.sync_jobs IN EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM @extschema@.sync_jobs WHERE state = 'running') THEN
    RAISE EXCEPTION 'a sync job is running'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Wait until tthub.sync_progress is empty, then call tthub_distribute() again.';
  END IF;

  ---------------------------------------------------------------- distribution
  -- Extension tables reference stores from the start: keep Citus from turning them
  -- into Citus local tables. The store-code trigger on stores (TH002) only raises, so
  -- it is safe on every shard.
  PERFORM set_config('citus.enable_local_reference_table_foreign_keys', 'off', true);
  PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
  -- Citus notices every copy and, when the local copies are truncated below, every
  -- table the TRUNCATE cascades to (local copies only): the summary says what matters.
  quiet := current_setting('client_min_messages');
  PERFORM set_config('client_min_messages', 'warning', true);

  -- Passes in foreign-key order: a table is taken once every table it references is a
  -- Citus table. Reference tables first, then store_accounts (the colocation group),
  -- then the rest.
  FOR pass IN 1..3 LOOP
    LOOP
      progress := false;
      FOR r IN
        SELECT c.oid::regclass AS tbl, c.relname::text AS name,
               c.relname <> 'stores' AND EXISTS (
                 SELECT 1 FROM pg_catalog.pg_constraint k
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                  WHERE k.conrelid = c.oid AND k.contype = 'p' AND a.attname = 'store_code') AS by_store
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                     AND d.refclassid = 'pg_catalog.pg_extension'::regclass
                                     AND d.refobjid = ext_oid AND d.deptype = 'e'
         WHERE c.relkind = 'r'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint f
                            WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
                              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p
                                               WHERE p.logicalrelid = f.confrelid))
         ORDER BY c.relname
      LOOP
        IF pass = 1 AND NOT r.by_store THEN
          PERFORM pg_catalog.create_reference_table(r.tbl);
          new_reference := new_reference || r.name;
        ELSIF pass = 2 AND r.tbl = anchor THEN
          PERFORM pg_catalog.create_distributed_table(r.tbl, 'store_code', colocate_with => 'none',
                                                      shard_count => shard_count);
          new_distributed := new_distributed || r.name;
        ELSIF pass = 3 AND r.by_store THEN
          PERFORM pg_catalog.create_distributed_table(r.tbl, 'store_code', colocate_with => anchor::text);
          new_distributed := new_distributed || r.name;
        ELSE
          CONTINUE;
        END IF;
        progress := true;
      END LOOP;
      EXIT WHEN NOT progress;
    END LOOP;
  END LOOP;

  SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO bad
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                               AND d.refobjid = ext_oid AND d.deptype = 'e'
   WHERE c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid);
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'could not distribute: %', bad
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Each references a table that is neither distributed nor a reference table.';
  END IF;

  -- The rows were copied into the shards; the coordinator's local copies go.
  FOR r IN SELECT unnest(new_reference || new_distributed) AS name LOOP
    PERFORM pg_catalog.truncate_local_data_after_distributing_table(format('@extschema@.%I', r.name)::regclass);
  END LOOP;
  PERFORM set_config('client_min_messages', quiet, true);

  -- Citus checks the privileges of whoever reads a view on the shards themselves
  -- (citusdata/citus#1683), not the view owner's: readers of tthub_reporting need the
  -- schema and the tables behind its views, none of which holds a secret (accounts
  -- reach them through _accounts_without_tokens()).
  GRANT USAGE ON SCHEMA @extschema@ TO tthub_reader;
  GRANT SELECT ON @extschema@.stores, @extschema@.user_daily, @extschema@.video_daily, @extschema@.sync_logs,
                  @extschema@.sync_jobs, @extschema@.sync_ledger, @extschema@.deliveries TO tthub_reader;
  -- Admins read webhook_deliveries (the webhooks' URLs come through _webhook_urls()).
  GRANT SELECT ON @extschema@.deliveries TO tthub_admin;

  ---------------------------------------------------------------- summary
  SELECT count(*) INTO citus_tables
    FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
   WHERE c.relnamespace = '@extschema@'::regnamespace;
  SELECT string_agg(format('%s:%s %s', n.nodename, n.nodeport, x.placements), ', ' ORDER BY n.groupid, n.nodeport)
    INTO placement_summary
    FROM (SELECT pl.groupid, count(*) AS placements
            FROM pg_catalog.pg_dist_placement pl
            JOIN pg_catalog.pg_dist_shard s ON s.shardid = pl.shardid
            JOIN pg_catalog.pg_class c ON c.oid = s.logicalrelid
           WHERE c.relnamespace = '@extschema@'::regnamespace
           GROUP BY pl.groupid) x
    JOIN pg_catalog.pg_dist_node n ON n.groupid = x.groupid AND n.noderole = 'primary';
  IF cardinality(new_reference) + cardinality(new_distributed) = 0 THEN
    RETURN format('nothing to distribute: all %s tthub tables are Citus tables already; shard placements per node: %s',
                  citus_tables, placement_summary);
  END IF;
  RETURN format('reference tables: %s; distributed by store_code: %s; %s tthub tables are Citus tables now; shard placements per node: %s',
                coalesce(nullif(array_to_string(ARRAY(SELECT unnest(new_reference) ORDER BY 1), ', '), ''), 'none new'),
                coalesce(nullif(array_to_string(ARRAY(SELECT unnest(new_distributed) ORDER BY 1), ', '), ''), 'none new'),
                citus_tables, placement_summary);
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_distribute(integer) IS
  'On a Citus coordinator: make stores and the tables looked up without store_code reference tables, and distribute every table keyed by store_code by store_code, colocated (shard_count shards). One transaction; a second call distributes only what is missing. Returns a summary. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_distribute(integer) FROM PUBLIC;

-- src/extension_sql/0.3--0.4/82-citus-uninstall.sql
------------------------------------------------------------------------------
-- Removing tthub, on one node or from a Citus cluster. On Citus a plain DROP
-- EXTENSION tthub is refused (the coordinator's reference shard of stores carries
-- the store-code CHECK, which is no extension member), and DROP ... CASCADE leaves
-- every shard behind on every node. Dropping the shards first, in the same
-- transaction as the extension, leaves nothing (test/citus/suite.sh).
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@.tthub_uninstall() RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  role text := @extschema@._citus_node_role();
  r record;
  tables integer := 0;
  shards bigint := 0;
BEGIN
  IF role = 'worker' THEN
    RAISE EXCEPTION 'tthub_uninstall() must run on the Citus coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Connect to the coordinator and call it there.';
  END IF;
  IF role = 'coordinator' THEN
    -- citus_drop_all_shards does nothing (returns -1) without DDL propagation.
    IF current_setting('citus.enable_ddl_propagation') <> 'on' THEN
      RAISE EXCEPTION 'tthub_uninstall() needs citus.enable_ddl_propagation on'
        USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'RESET citus.enable_ddl_propagation, then call it again.';
    END IF;
    -- A moved shard's old copy waits in pg_dist_cleanup for Citus to drop it, and
    -- would keep DROP EXTENSION from succeeding on its node.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_dist_cleanup WHERE object_name LIKE '@extschema@.%') THEN
      RAISE EXCEPTION 'shards of tthub tables are waiting for Citus to drop them'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Old copies of moved shards stay until Citus cleans them up.',
              HINT = 'CALL citus_cleanup_orphaned_resources(); then call tthub_uninstall() again.';
    END IF;
    FOR r IN
      SELECT p.logicalrelid, c.relname::text AS name
        FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
       WHERE c.relnamespace = '@extschema@'::regnamespace
       ORDER BY p.partmethod = 'n', c.relname  -- distributed tables before the reference tables they reference
    LOOP
      shards := shards + greatest(pg_catalog.citus_drop_all_shards(r.logicalrelid, '@extschema@', r.name), 0);
      tables := tables + 1;
    END LOOP;
  END IF;
  IF to_regnamespace('cron') IS NOT NULL THEN
    PERFORM @extschema@.tthub_unschedule_daily_sync();
  END IF;
  -- The extension goes with this function; the running call is not disturbed. On
  -- Citus the DROP reaches every node. Roles stay (they are cluster-wide).
  DROP EXTENSION tthub;
  -- CREATE EXTENSION made the schema but it is no member: it goes too when nothing
  -- else lives in it (on Citus the DROP SCHEMA reaches every node).
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend
                  WHERE refclassid = 'pg_catalog.pg_namespace'::regclass AND refobjid = '@extschema@'::regnamespace) THEN
    DROP SCHEMA @extschema@;
  END IF;
  RETURN CASE WHEN role = 'coordinator'
              THEN format('tthub removed from every node (%s shards of %s Citus tables dropped)', shards, tables)
              ELSE 'tthub removed' END;
END
$$;
COMMENT ON FUNCTION @extschema@.tthub_uninstall() IS
  'Remove tthub: unschedules the daily sync, on a Citus coordinator drops every shard of its tables on every node, then drops the extension (on every node). Data is lost: dump it first. Superusers only.';
REVOKE ALL ON FUNCTION @extschema@.tthub_uninstall() FROM PUBLIC;

-- src/extension_sql/0.3--0.4/87-metrics.sql
------------------------------------------------------------------------------
-- Metrics for Prometheus (monitoring/postgres_exporter.yaml reads these views as a
-- role in tthub_reader + pg_monitor). One view per metric family, with the label
-- columns first; every number typed. After the Citus fragments: the views are in
-- shapes Citus plans (no subquery correlated to a reference table or function scan
-- over a distributed table; accounts read through tthub.accounts, since Citus checks
-- a reader's privileges on the shards), with the same values on one node.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION @extschema@._request_stats() RETURNS text
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'tthub_request_stats';
COMMENT ON FUNCTION @extschema@._request_stats() IS
  'TikTok requests by endpoint and status class since the server started, with their total seconds, from shared memory (JSON).';
REVOKE ALL ON FUNCTION @extschema@._request_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._request_stats() TO tthub_reader, tthub_admin;

CREATE OR REPLACE VIEW tthub_reporting.metrics_worker AS
  SELECT @extschema@._sync_workers_running()::float8 AS up;
COMMENT ON VIEW tthub_reporting.metrics_worker IS 'tthub_worker_up: 1 when the sync worker serving this database runs.';
COMMENT ON COLUMN tthub_reporting.metrics_worker.up IS '1: running, 0: not.';

CREATE OR REPLACE VIEW tthub_reporting.metrics_jobs AS
  SELECT s.state::text AS state, count(j.job_id)::float8 AS jobs
    FROM unnest(enum_range(NULL::@extschema@.job_state)) AS s(state)
    LEFT JOIN @extschema@.sync_jobs j ON j.state = s.state
   GROUP BY s.state
   ORDER BY s.state;
COMMENT ON VIEW tthub_reporting.metrics_jobs IS 'tthub_jobs{state}: sync jobs in each state (every state, 0 included).';
COMMENT ON COLUMN tthub_reporting.metrics_jobs.state IS 'Job state.';
COMMENT ON COLUMN tthub_reporting.metrics_jobs.jobs IS 'Jobs in that state.';

CREATE OR REPLACE VIEW tthub_reporting.metrics_stores AS
  SELECT s.store_code::text AS store_code,
         extract(epoch FROM a.last_success)::float8 AS last_success_timestamp_seconds,
         (coalesce(u.n, 0) + coalesce(v.n, 0))::float8 AS rows_synced
    FROM @extschema@.stores s
    JOIN (SELECT x.store_code, max(x.last_sync_at) AS last_success FROM @extschema@.accounts x
           GROUP BY x.store_code HAVING max(x.last_sync_at) IS NOT NULL) a ON a.store_code = s.store_code
    -- The rows of the store's latest snapshot day.
    LEFT JOIN (SELECT l.store_code, count(*) AS n
                 FROM (SELECT store_code, max(snapshot_date) AS day FROM @extschema@.user_daily GROUP BY store_code) l
                 JOIN @extschema@.user_daily ud ON ud.store_code = l.store_code AND ud.snapshot_date = l.day
                GROUP BY l.store_code) u ON u.store_code = s.store_code
    LEFT JOIN (SELECT l.store_code, count(*) AS n
                 FROM (SELECT store_code, max(snapshot_date) AS day FROM @extschema@.user_daily GROUP BY store_code) l
                 JOIN @extschema@.video_daily vd ON vd.store_code = l.store_code AND vd.snapshot_date = l.day
                GROUP BY l.store_code) v ON v.store_code = s.store_code
   WHERE s.disabled_at IS NULL;
COMMENT ON VIEW tthub_reporting.metrics_stores IS
  'tthub_store_last_success_timestamp_seconds and tthub_store_rows_synced{store_code}: active stores synced at least once.';
COMMENT ON COLUMN tthub_reporting.metrics_stores.store_code IS 'Store.';
COMMENT ON COLUMN tthub_reporting.metrics_stores.last_success_timestamp_seconds IS 'Unix time of the store''s last successful account sync.';
COMMENT ON COLUMN tthub_reporting.metrics_stores.rows_synced IS 'Snapshot rows (user_daily + video_daily) of the store''s latest snapshot day.';

CREATE OR REPLACE VIEW tthub_reporting.metrics_accounts AS
  SELECT a.store_code::text AS store_code, a.open_id::text AS open_id,
         extract(epoch FROM a.refresh_token_expires_at)::float8 AS refresh_token_expiry_timestamp_seconds
    FROM @extschema@.accounts a
    JOIN @extschema@.stores s ON s.store_code = a.store_code AND s.disabled_at IS NULL
   WHERE a.status IN ('CONNECTED', 'ERROR') AND a.refresh_token_expires_at IS NOT NULL;
COMMENT ON VIEW tthub_reporting.metrics_accounts IS
  'tthub_account_refresh_token_expiry_timestamp_seconds{store_code,open_id}: accounts to sync.';
COMMENT ON COLUMN tthub_reporting.metrics_accounts.store_code IS 'Store.';
COMMENT ON COLUMN tthub_reporting.metrics_accounts.open_id IS 'TikTok account.';
COMMENT ON COLUMN tthub_reporting.metrics_accounts.refresh_token_expiry_timestamp_seconds IS 'Unix time the refresh token expires; the owner must reconnect before.';

CREATE OR REPLACE VIEW tthub_reporting.metrics_account_status AS
  SELECT s.status::text AS status, count(x.open_id)::float8 AS accounts
    FROM unnest(enum_range(NULL::@extschema@.account_status)) AS s(status)
    LEFT JOIN (SELECT a.status, a.open_id FROM @extschema@.accounts a
                 JOIN @extschema@.stores t ON t.store_code = a.store_code AND t.disabled_at IS NULL) x
           ON x.status = s.status
   GROUP BY s.status
   ORDER BY s.status;
COMMENT ON VIEW tthub_reporting.metrics_account_status IS
  'tthub_accounts{status}: accounts of active stores in each status (NEED_RECONNECT: their owner must reconnect).';
COMMENT ON COLUMN tthub_reporting.metrics_account_status.status IS 'Account status.';
COMMENT ON COLUMN tthub_reporting.metrics_account_status.accounts IS 'Accounts in that status.';

CREATE OR REPLACE VIEW tthub_reporting.metrics_requests AS
  SELECT r.endpoint, r.status_class, r.requests::float8 AS requests, r.duration_seconds::float8 AS duration_seconds
    FROM jsonb_to_recordset(@extschema@._request_stats()::jsonb)
         AS r(endpoint text, status_class text, requests bigint, duration_seconds float8);
COMMENT ON VIEW tthub_reporting.metrics_requests IS
  'tthub_requests_total{endpoint,status_class} and tthub_request_duration_seconds: TikTok requests since the server started.';
COMMENT ON COLUMN tthub_reporting.metrics_requests.endpoint IS 'TikTok endpoint: oauth/token, user/info or video/list.';
COMMENT ON COLUMN tthub_reporting.metrics_requests.status_class IS '2xx, 4xx, 5xx ..., or error (no HTTP response).';
COMMENT ON COLUMN tthub_reporting.metrics_requests.requests IS 'Requests completed (a counter).';
COMMENT ON COLUMN tthub_reporting.metrics_requests.duration_seconds IS 'Their total duration in seconds (a counter).';

CREATE OR REPLACE VIEW tthub_reporting.metrics_webhook_deliveries AS
  SELECT s.state, count(d.delivery_id)::float8 AS deliveries
    FROM unnest(ARRAY['queued', 'running', 'done', 'dead']) WITH ORDINALITY AS s(state, n)
    LEFT JOIN @extschema@.deliveries d ON d.state::text = s.state
   GROUP BY s.state, s.n
   ORDER BY s.n;
COMMENT ON VIEW tthub_reporting.metrics_webhook_deliveries IS 'tthub_webhook_deliveries{state}: webhook deliveries in each state.';
COMMENT ON COLUMN tthub_reporting.metrics_webhook_deliveries.state IS 'queued, running, done or dead.';
COMMENT ON COLUMN tthub_reporting.metrics_webhook_deliveries.deliveries IS 'Deliveries in that state.';

GRANT SELECT ON tthub_reporting.metrics_worker, tthub_reporting.metrics_jobs, tthub_reporting.metrics_stores,
  tthub_reporting.metrics_accounts, tthub_reporting.metrics_account_status, tthub_reporting.metrics_requests, tthub_reporting.metrics_webhook_deliveries
  TO tthub_reader, tthub_admin;
