// The little shared memory tthub needs: where the sync worker's latch is, so that a
// backend that enqueued a job can wake it when its transaction commits.
#pragma once

namespace tthub::shared {

// From _PG_init when preloaded: requests and initialises the segment, and registers
// the commit callback that wakes the worker.
void install_hooks();

// The worker announces itself (its latch) / withdraws on exit.
void register_worker();
void unregister_worker();

// Wake the worker when the current transaction commits (no-op if never committed).
void wake_worker_at_commit();

}  // namespace tthub::shared
