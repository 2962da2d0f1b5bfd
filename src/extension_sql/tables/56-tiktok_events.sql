------------------------------------------------------------------------------
-- TikTok's webhook (issue #20): what TikTok sent the app's webhook URL, once per
-- event however often TikTok sent it, and what tthub did. Looked up by the event's
-- key alone, never by store: a reference table on Citus.
------------------------------------------------------------------------------

CREATE TABLE @extschema@.tiktok_events (
  event_id     bigserial    PRIMARY KEY,
  event_key    text         NOT NULL CONSTRAINT tiktok_events_key_unique UNIQUE
                            CONSTRAINT tiktok_events_key_is_sha256 CHECK (event_key ~ '^[0-9a-f]{64}$'),
  event        varchar(64)  NOT NULL,
  open_id      varchar(128) NOT NULL,
  reason       integer,
  tiktok_time  timestamptz  NOT NULL,
  received_at  timestamptz  NOT NULL DEFAULT now(),
  action       text         NOT NULL,
  store_codes  varchar(50)[] NOT NULL DEFAULT '{}'
);
CREATE INDEX tiktok_events_received_idx ON @extschema@.tiktok_events (received_at);
CREATE INDEX tiktok_events_open_id_idx ON @extschema@.tiktok_events (open_id);
COMMENT ON TABLE @extschema@.tiktok_events IS
  'Events TikTok sent to the app''s webhook (through the shim), once each however often TikTok sent them, with what tthub did. Only verified events are recorded. Kept tthub.log_retention days, at least 4 (TikTok retries for 72 hours).';
COMMENT ON COLUMN @extschema@.tiktok_events.event_id IS 'Number, in the order received.';
COMMENT ON COLUMN @extschema@.tiktok_events.event_key IS 'SHA-256 (hex) of the event''s client_key, event, create_time, user_openid and content: the same on every retry of one event.';
COMMENT ON COLUMN @extschema@.tiktok_events.event IS 'TikTok''s event name, e.g. authorization.removed.';
COMMENT ON COLUMN @extschema@.tiktok_events.open_id IS 'The TikTok user (user_openid) the event is about.';
COMMENT ON COLUMN @extschema@.tiktok_events.reason IS 'authorization.removed: 0 unknown, 1 user disconnected, 2 account deleted, 3 age changed, 4 banned, 5 developer revoked. NULL for other events.';
COMMENT ON COLUMN @extschema@.tiktok_events.tiktok_time IS 'When TikTok says it happened (create_time).';
COMMENT ON COLUMN @extschema@.tiktok_events.received_at IS 'When tthub first received it.';
COMMENT ON COLUMN @extschema@.tiktok_events.action IS 'What tthub did: accounts stopped, queued jobs cancelled, or why the event was ignored.';
COMMENT ON COLUMN @extschema@.tiktok_events.store_codes IS 'Stores whose accounts the event changed.';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tiktok_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tiktok_events_event_id_seq', '');
GRANT SELECT ON @extschema@.tiktok_events TO tthub_admin;
