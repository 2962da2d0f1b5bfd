// Module entry: settings, secrets, shared memory, the EXPLAIN guard and the sync worker
// (preloaded only).
#include <exception>

#include "core/error.h"
#include "ext/pg/postgres_headers.h"
#include "ext/client_readers/explain_guard.h"
#include "ext/config/server_secrets.h"
#include "ext/config/settings.h"
#include "ext/metrics/request_stats.h"
#include "ext/sync/account_stops.h"
#include "ext/sync/shared_state.h"
#include "ext/sync/worker.h"

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

void _PG_init(void) {
  if (IsBinaryUpgrade) return;
  // Loaded by CREATE EXTENSION or LOAD in a running server: its settings are server-start
  // ones and its worker and shared memory exist only when preloaded. A plain ERROR here
  // (before any setting is defined) leaves the session usable; defining a
  // PGC_POSTMASTER setting after start would end it with a FATAL.
  if (!process_shared_preload_libraries_in_progress)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("tthub must be loaded via shared_preload_libraries"),
                    errhint("Add tthub to shared_preload_libraries in postgresql.conf and restart the server.")));
  // First and whatever fails below: without it a client reader could read plans.
  tthub::explain_guard::install_hooks();
  tthub::ErrorReport failure;
  try {
    tthub::settings::define_all();
    tthub::secrets::load_at_start();
    tthub::shared::install_hooks();
    tthub::metrics::install_hooks();
    tthub::account_stops::install_hooks();
    if (tthub::settings::worker_enabled) tthub::worker::register_at_startup();
    return;
  } catch (...) {
    failure = tthub::describe_current_exception();
  }
  ereport(WARNING, (errmsg("tthub: initialisation failed: %s", failure.message)));
}
