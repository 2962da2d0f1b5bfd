-- Syncs that finish (issue #10): the checkpoint an attempt resumes from, and the
-- request retries a sync spent, counted in its log line.

ALTER TABLE @extschema@.sync_ledger ADD COLUMN IF NOT EXISTS next_cursor bigint;
COMMENT ON COLUMN @extschema@.sync_ledger.next_cursor IS
  'Checkpoint: TikTok''s video/list cursor for the page after the last one committed (written with that page), or NULL when paging has not started or reached the end. A later attempt of the same account and day continues from it; complete becomes true only when paging reached has_more = false.';

ALTER TABLE @extschema@.sync_logs ADD COLUMN IF NOT EXISTS request_retries integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN @extschema@.sync_logs.request_retries IS
  'TikTok requests of this attempt that failed transiently (network error, timeout, 5xx, malformed body) and were sent again in place (tthub.request_retries each).';
