------------------------------------------------------------------------------
-- Alerts: an outbox of events, webhooks, and a durable queue of signed deliveries
-- the worker sends. Each event is one row written in the transaction that made the
-- change it reports (no triggers: Citus refuses them; the code that changes the row
-- calls tthub._emit_event), so a rolled-back change never sends one and a committed
-- one always does. Every event is also a NOTIFY on channel tthub_events, which the
-- worker sends in a transaction of its own (src/ext/notify/event_notify.h).
------------------------------------------------------------------------------

-- Looked up without a store (by id, when delivering): a reference table on Citus.
CREATE TABLE @extschema@.webhooks (
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
COMMENT ON COLUMN @extschema@.webhooks.url IS 'Where deliveries are POSTed: https, or http when allow_http. Redirects are not followed.';
COMMENT ON COLUMN @extschema@.webhooks.secret_enc IS 'Signing secret, AES-256-GCM envelope (context tthub._webhook_secret_context(webhook_id)).';
COMMENT ON COLUMN @extschema@.webhooks.events IS 'Events sent to this webhook; NULL: every event.';
COMMENT ON COLUMN @extschema@.webhooks.format IS 'json (tthub''s signed payload) or slack ({"text": ...}, for Slack incoming webhooks).';
COMMENT ON COLUMN @extschema@.webhooks.allow_http IS 'Plain http allowed; only a superuser sets it.';
COMMENT ON COLUMN @extschema@.webhooks.allow_private IS 'Deliveries may connect to internal addresses (loopback, private, link-local); only a superuser sets it.';
COMMENT ON COLUMN @extschema@.webhooks.enabled IS 'False: no new deliveries, and queued ones wait (tthub_disable_webhook).';
COMMENT ON COLUMN @extschema@.webhooks.created_at IS 'When the webhook was added.';
COMMENT ON COLUMN @extschema@.webhooks.updated_at IS 'When the row last changed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.webhooks', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.webhooks_webhook_id_seq', '');
CREATE TABLE @extschema@.events (
  store_code  varchar(50) NOT NULL REFERENCES @extschema@.stores (store_code) ON DELETE CASCADE,
  event_id    bigserial   NOT NULL,
  event       text        NOT NULL,
  data        jsonb       NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now(),
  notify_pending boolean  NOT NULL DEFAULT false,
  PRIMARY KEY (store_code, event_id)
);
CREATE INDEX events_occurred_idx ON @extschema@.events (occurred_at);
CREATE INDEX events_notify_pending_idx ON @extschema@.events (event_id) WHERE notify_pending;
COMMENT ON TABLE @extschema@.events IS
  'The outbox: one row per event, written in the transaction of the change it reports. Kept tthub.log_retention days.';
COMMENT ON COLUMN @extschema@.events.store_code IS 'Store the event concerns.';
COMMENT ON COLUMN @extschema@.events.event_id IS 'Event number (increasing); the "id" of its NOTIFY.';
COMMENT ON COLUMN @extschema@.events.event IS 'account.connected, account.need_reconnect, account.token_expiring, account.removed, sync.failed, job.dead or sync.day_incomplete.';
COMMENT ON COLUMN @extschema@.events.data IS 'What happened (open_id, reason, error, job_id, ...); never a token or secret.';
COMMENT ON COLUMN @extschema@.events.occurred_at IS 'When the transaction that made the change started.';
COMMENT ON COLUMN @extschema@.events.notify_pending IS 'Its NOTIFY tthub_events is still to be sent by the worker (tthub.notify_events).';
-- A sibling of sync_jobs rather than a job type in it: a sync claim hands out at most
-- one job per store, max_concurrent_syncs slots and one pending job per store and day,
-- and a delivery must wait for none of those. The semantics are the same: queued /
-- running / done / dead, attempts, run_after, a lease held by the worker's pid.
CREATE TABLE @extschema@.deliveries (
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
CREATE INDEX deliveries_queue_order_idx ON @extschema@.deliveries (run_after, delivery_id) WHERE state = 'queued';
CREATE INDEX deliveries_running_idx ON @extschema@.deliveries (webhook_id) WHERE state = 'running';
CREATE INDEX deliveries_webhook_idx ON @extschema@.deliveries (webhook_id);
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
GRANT SELECT ON @extschema@.events TO tthub_admin;
