// Module entry: settings, secrets and, when preloaded, shared memory and the sync worker.
#include <exception>

#include "core/error.h"
#include "ext/postgres_headers.h"
#include "ext/server_secrets.h"
#include "ext/settings.h"
#include "ext/shared_state.h"
#include "ext/worker.h"

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

void _PG_init(void) {
  if (IsBinaryUpgrade) return;
  tthub::ErrorReport failure;
  try {
    tthub::settings::define_all();
    tthub::secrets::load_at_start();
    if (process_shared_preload_libraries_in_progress) {
      tthub::shared::install_hooks();
      tthub::worker::register_at_startup();
    }
    return;
  } catch (...) {
    failure = tthub::describe_current_exception();
  }
  ereport(WARNING, (errmsg("tthub: initialisation failed: %s", failure.message)));
}
