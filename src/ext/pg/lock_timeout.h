// How long the worker's statements may wait for a lock that someone else holds (an
// admin's open transaction, a long ALTER): long enough for ordinary contention,
// short enough that one held row never freezes the loop that drives every sync and
// webhook, nor the shutdown that puts jobs back. The one definition of that bound.
// Call inside a unit of DbWork.
//
// The worker also sets it for its whole session (tthub_worker_main), so every
// statement it runs is bounded; a lock timeout in a job's work puts the job back
// without spending an attempt (SyncEngine::db), in maintenance or a claim the step is
// tried again at the next pass.
#pragma once

#include "core/error.h"

namespace tthub::lock_waits {

inline constexpr int kWorkerMs = 2000;

// lock_not_available: a lock_timeout ran out (or a NOWAIT lock was refused).
inline bool is_lock_timeout(const Error &e) { return e.sqlstate() == "55P03"; }

// SET LOCAL lock_timeout: the rest of the current transaction waits at most ms.
void bound(int ms = kWorkerMs);

}  // namespace tthub::lock_waits
