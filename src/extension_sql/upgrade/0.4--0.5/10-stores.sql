-- Each store's own day (issue 21): an optional IANA time zone per store. Through
-- EXECUTE: on Citus, stores is a reference table, and a statement of an extension
-- script that Citus sends to the workers would otherwise carry the whole script.
DO $stores$
BEGIN
  EXECUTE 'ALTER TABLE @extschema@.stores ADD COLUMN IF NOT EXISTS timezone text';
  EXECUTE $c$COMMENT ON COLUMN @extschema@.stores.timezone IS
  'IANA time zone of the store''s day (tthub_set_store_timezone); NULL: tthub.snapshot_timezone. Its snapshot days, ledger and day-incomplete alert follow it from the day it is set; stored days are never rewritten.'$c$;
END
$stores$;
