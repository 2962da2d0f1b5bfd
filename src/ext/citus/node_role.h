// Which part of a Citus cluster this server is. On Citus, every tthub write, sync,
// claim, store lock and token operation happens on the coordinator: advisory locks
// and process ids are node-local, and worker nodes hold no token key. Worker nodes
// preload tthub (Citus needs it there) but run no sync.
#pragma once

namespace tthub::citus {

// True when the current database has Citus and this server is one of its worker
// nodes (pg_dist_local_group names a group other than the coordinator's, 0). False
// without Citus. Needs a transaction; may throw PgError.
bool is_worker_node();

// Throws SQLSTATE 55000, with a hint, when this is a Citus worker node: `what` must
// run on the coordinator.
void require_coordinator(const char *what);

// For the sync worker as it starts, before its loop: true (after logging why) when it
// must not run because this server is a Citus worker node. Never throws.
bool sync_worker_stays_off() noexcept;

}  // namespace tthub::citus
