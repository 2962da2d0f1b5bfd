-- NOTIFY leaves the event's transaction: the worker sends it for events marked
-- notify_pending. Webhooks: plain http and loopback only for a superuser's webhooks.
ALTER TABLE @extschema@.events ADD COLUMN IF NOT EXISTS notify_pending boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS events_notify_pending_idx ON @extschema@.events (event_id) WHERE notify_pending;
COMMENT ON COLUMN @extschema@.events.notify_pending IS 'Its NOTIFY tthub_events is still to be sent by the worker (tthub.notify_events).';
COMMENT ON COLUMN @extschema@.webhooks.url IS 'Where deliveries are POSTed: https, or http when allow_http. Redirects are not followed.';
COMMENT ON COLUMN @extschema@.webhooks.allow_http IS 'Plain http allowed; only a superuser sets it.';
COMMENT ON COLUMN @extschema@.webhooks.allow_private IS 'Deliveries may connect to internal addresses (loopback, private, link-local); only a superuser sets it.';
-- The webhook queue in its claim's order (run_after, delivery_id), as sync_jobs': the
-- claim and next-due read its head (functions/50-alerts.sql).
CREATE INDEX IF NOT EXISTS deliveries_queue_order_idx ON @extschema@.deliveries (run_after, delivery_id) WHERE state = 'queued';
DROP INDEX IF EXISTS @extschema@.deliveries_queued_idx;
