#include "ext/sync/account_stops.h"

#include "ext/pg/pg_bridge.h"
#include "ext/pg/shmem_struct.h"
#include "ext/sync/shared_state.h"

namespace tthub::account_stops {
namespace {

struct Counter {
  pg_atomic_uint64 generation;
};

Counter *g_counter = nullptr;
bool g_announce_at_commit = false;

void init_counter(void *fresh) { pg_atomic_init_u64(&static_cast<Counter *>(fresh)->generation, 1); }

// After the commit is visible to new snapshots (XACT_EVENT_COMMIT follows
// ProcArrayEndTransaction): a sync that reads the moved counter and then queries
// the accounts sees the change.
void on_xact_event(XactEvent event, void *) {
  if (event == XACT_EVENT_COMMIT && g_announce_at_commit && g_counter)
    pg_atomic_fetch_add_u64(&g_counter->generation, 1);
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT) g_announce_at_commit = false;
}

}  // namespace

void install_hooks() {
  shmem::request_struct("tthub account stops", sizeof(Counter), init_counter, reinterpret_cast<void **>(&g_counter));
}

void announce_at_commit() {
  static bool registered = false;
  if (!registered) {
    pg_guard([] { RegisterXactCallback(on_xact_event, nullptr); });
    registered = true;
  }
  g_announce_at_commit = true;
  shared::wake_worker_at_commit();
}

uint64_t generation() noexcept { return g_counter ? pg_atomic_read_u64(&g_counter->generation) : 0; }

}  // namespace tthub::account_stops
