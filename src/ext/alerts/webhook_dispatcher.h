// Sends webhook deliveries (table tthub.deliveries) from the sync worker's loop.
// It has its own libcurl multi handle (a slow or dead endpoint never holds a sync's
// connections) and never waits: each step polls with a zero timeout, so syncs and
// other endpoints go on while a delivery hangs until tthub.webhook_timeout. At most
// tthub.webhook_max_in_flight deliveries per webhook are on the wire (the claim in
// SQL counts them). Each step also runs, once a minute, the scan that emits
// account.token_expiring and sync.day_incomplete.
#pragma once

#include <cstdint>

#include "ext/pg/db_work.h"

namespace tthub::alerts {

// One step: records finished deliveries, claims and sends due ones, scans. woken:
// the worker's latch was set (an event may have queued deliveries). Returns how
// long the worker may sleep before the next step is wanted (ms).
int64_t webhooks_step(DbWork &db, bool woken);

// Shutdown: deliveries on the wire are dropped and go back to the queue without
// spending an attempt.
void webhooks_shutdown(DbWork &db);

}  // namespace tthub::alerts
