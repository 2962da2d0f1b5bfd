-- Each store's own day (issue 21): an optional IANA time zone per store.
ALTER TABLE @extschema@.stores ADD COLUMN IF NOT EXISTS timezone text;
COMMENT ON COLUMN @extschema@.stores.timezone IS
  'IANA time zone of the store''s day (tthub_set_store_timezone); NULL: tthub.snapshot_timezone. Its snapshot days, ledger and day-incomplete alert follow it from the day it is set; stored days are never rewritten.';
