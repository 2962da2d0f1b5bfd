-- account.token_expiring is remembered with the account (it was looked up in events,
-- which retention prunes, and then sent again). The warnings 0.4 sent are taken from
-- its events, so none is sent twice across the update.
ALTER TABLE @extschema@.store_accounts ADD COLUMN IF NOT EXISTS token_expiry_warned_for timestamptz;
COMMENT ON COLUMN @extschema@.store_accounts.token_expiry_warned_for IS
  'The refresh_token_expires_at that account.token_expiring was sent for (kept with the account: its event is pruned).';
-- Event by event rather than one UPDATE joining the two tables: on a Citus install
-- distributed by hand, events may still be a local table, which Citus does not join.
DO $backfill$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT DISTINCT e.store_code, e.data ->> 'open_id' AS open_id,
           (e.data ->> 'refresh_token_expires_at')::timestamptz AS expires
      FROM @extschema@.events e
     WHERE e.event = 'account.token_expiring'
  LOOP
    UPDATE @extschema@.store_accounts a SET token_expiry_warned_for = r.expires
     WHERE a.store_code = r.store_code AND a.open_id = r.open_id AND a.refresh_token_expires_at = r.expires
       AND a.token_expiry_warned_for IS NULL;
  END LOOP;
END
$backfill$;
