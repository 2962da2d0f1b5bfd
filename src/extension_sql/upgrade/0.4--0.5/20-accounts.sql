-- account.token_expiring is remembered with the account (it was looked up in events,
-- which retention prunes, and then sent again). The warnings 0.4 sent are taken from
-- its events, so none is sent twice across the update.
ALTER TABLE @extschema@.store_accounts ADD COLUMN IF NOT EXISTS token_expiry_warned_for timestamptz;
COMMENT ON COLUMN @extschema@.store_accounts.token_expiry_warned_for IS
  'The refresh_token_expires_at that account.token_expiring was sent for (kept with the account: its event is pruned).';
UPDATE @extschema@.store_accounts a
   SET token_expiry_warned_for = a.refresh_token_expires_at
 WHERE a.token_expiry_warned_for IS NULL
   AND EXISTS (SELECT 1 FROM @extschema@.events e
                WHERE e.store_code = a.store_code AND e.event = 'account.token_expiring'
                  AND e.data ->> 'open_id' = a.open_id
                  AND (e.data ->> 'refresh_token_expires_at')::timestamptz = a.refresh_token_expires_at);
