// How long the worker waits for a lock, in one place. Every statement the worker runs
// has a bounded lock wait: an admin's open transaction on one store's rows (SELECT ...
// FOR UPDATE, an import or a webhook removal left uncommitted) must cost that store a
// later retry, never freeze the loop that syncs every store and sends every webhook.
//
// The worker sets lock_timeout for its whole session (tthub_worker_main); a lock
// timeout (SQLSTATE 55P03) in a job's work puts the job back in the queue without
// spending an attempt (SyncEngine::db), in maintenance or a claim it is tried again
// at the next pass.
#pragma once

#include "core/error.h"

namespace tthub::lock_waits {

// Longest wait for a lock in any of the worker's statements.
inline constexpr int kWorkerMs = 2000;
// At shutdown, putting jobs and deliveries back.
inline constexpr int kShutdownMs = 2000;

// lock_not_available: a lock_timeout ran out (or a NOWAIT lock was refused).
inline bool is_lock_timeout(const Error &e) { return e.sqlstate() == "55P03"; }

}  // namespace tthub::lock_waits
