// The tthub sync worker: a background worker that claims jobs from tthub.sync_jobs
// and runs them with the SyncEngine.
#pragma once

namespace tthub::worker {

// From _PG_init, when tthub is in shared_preload_libraries.
void register_at_startup();

}  // namespace tthub::worker
