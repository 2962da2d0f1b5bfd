// The little shared memory tthub needs: where the sync worker's latch is, so that a
// backend that enqueued a job can wake it when its transaction commits, and which
// process it is, so that any role can learn whether it runs (pg_stat_activity hides
// other roles' backends).
#pragma once

namespace tthub::shared {

// From _PG_init when preloaded: requests and initialises the segment, and registers
// the commit callback that wakes the worker.
void install_hooks();

// The worker announces itself (its latch, pid and database) / withdraws on exit.
// Registering also arranges the withdrawal for an exit that skips unregister_worker
// (a FATAL error).
void register_worker();
void unregister_worker();

// The pid of the live sync worker connected to the current database, or 0. May
// throw PgError.
int worker_pid_for_this_database();

// The worker's loop passed here (each pass; its longest wait is the idle sleep of at
// most a minute). Any role learns how long ago through worker_heartbeat_age_seconds.
void worker_heartbeat();
// Seconds since the live worker of this database last passed its loop, or a negative
// value when no worker serves it. May throw PgError.
double worker_heartbeat_age_seconds();

// Wake the worker when the current transaction commits (no-op if never committed).
void wake_worker_at_commit();

}  // namespace tthub::shared
