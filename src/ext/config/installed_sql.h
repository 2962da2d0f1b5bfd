// Which version of the extension's SQL this database has installed. A library newer
// than its SQL (the server restarted on a new package, before ALTER EXTENSION tthub
// UPDATE) keeps running with what that SQL has. One probe, read once per
// transaction: every "is this installed?" question is answered from it.
// Call inside a unit of DbWork.
#pragma once

namespace tthub::installed {

struct Sql {
  bool present = false;  // CREATE EXTENSION tthub has run in this database
  int major = 0;
  int minor = 0;
  bool at_least(int maj, int min) const { return present && (major > maj || (major == maj && minor >= min)); }
  // 0.4: sync_ledger.next_cursor and sync_logs.request_retries (resumable syncs).
  bool has_checkpoints() const { return at_least(0, 4); }
  // 0.4: the events outbox, webhooks and their deliveries (alerts).
  bool has_alerts() const { return at_least(0, 4); }
  // 0.5: events.notify_pending, NOTIFY sent by the worker (tthub._notify_events).
  bool has_worker_notify() const { return at_least(0, 5); }
  // 0.5: tthub.videos, video_observations and refresh jobs (issue 19).
  bool has_videos() const { return at_least(0, 5); }
  // 0.5: each store's own day (stores.timezone, tthub.store_today(store_code)).
  bool has_store_days() const { return at_least(0, 5); }
  // 0.5: tthub._next_job_due_ms(), the worker's next-due query with the claim's plan rule.
  bool has_next_job_due() const { return at_least(0, 5); }
};

// The installed version as of the current transaction (probed at its first call).
const Sql &sql();

}  // namespace tthub::installed
