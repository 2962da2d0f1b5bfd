// How long the worker's statements may wait for a lock that someone else holds (an
// admin's open transaction, a long ALTER): long enough for ordinary contention,
// short enough that one held row never freezes the loop that drives every sync and
// webhook, nor the shutdown that puts jobs back. The one definition of that bound.
// Call inside a unit of DbWork.
#pragma once

namespace tthub::lock_waits {

inline constexpr int kWorkerMs = 2000;

// SET LOCAL lock_timeout: the rest of the current transaction waits at most ms.
void bound(int ms = kWorkerMs);

}  // namespace tthub::lock_waits
