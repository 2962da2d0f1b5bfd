#include "ext/sync/shared_state.h"

#include "ext/pg/pg_bridge.h"
#include "ext/pg/shmem_struct.h"

namespace tthub::shared {
namespace {

// Written only by the worker, once when it starts and once when it stops; readers
// take each field in one aligned load, so a reader racing a restart sees either the
// old worker or the new one, and checks that the process is alive anyway.
struct SharedState {
  pid_t worker_pid;
  Oid worker_database;
  Latch *worker_latch;
  // GetCurrentTimestamp() of the worker's last loop pass: one aligned 8-byte store.
  pg_atomic_uint64 heartbeat;
};

SharedState *g_state = nullptr;
bool g_wake_at_commit = false;

void init_state(void *fresh) {
  auto *state = static_cast<SharedState *>(fresh);
  state->worker_pid = 0;
  state->worker_database = InvalidOid;
  state->worker_latch = nullptr;
  pg_atomic_init_u64(&state->heartbeat, 0);
}

void on_xact_event(XactEvent event, void *) {
  if (event == XACT_EVENT_COMMIT && g_wake_at_commit && g_state) {
    // Read once: the worker may be exiting concurrently; SetLatch on a latch in
    // shared memory that nobody owns is harmless.
    Latch *latch = g_state->worker_latch;
    if (latch) SetLatch(latch);
  }
  if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT) g_wake_at_commit = false;
}

void unregister_at_exit(int, Datum) { unregister_worker(); }

}  // namespace

void install_hooks() {
  shmem::request_struct("tthub", sizeof(SharedState), init_state, reinterpret_cast<void **>(&g_state));
}

void register_worker() {
  if (!g_state) return;
  g_state->worker_database = MyDatabaseId;
  g_state->worker_latch = MyLatch;
  pg_atomic_write_u64(&g_state->heartbeat, static_cast<uint64>(GetCurrentTimestamp()));
  pg_write_barrier();  // a reader that sees the pid sees its database
  g_state->worker_pid = MyProcPid;
  before_shmem_exit(unregister_at_exit, 0);
}

void unregister_worker() {
  if (g_state && g_state->worker_pid == MyProcPid) {
    g_state->worker_pid = 0;
    g_state->worker_latch = nullptr;
    g_state->worker_database = InvalidOid;
  }
}

int worker_pid_for_this_database() {
  if (!g_state) return 0;
  const volatile SharedState *state = g_state;
  pid_t pid = state->worker_pid;
  pg_read_barrier();
  if (pid == 0 || state->worker_database != MyDatabaseId) return 0;
  // A worker that died without withdrawing (killed, so the postmaster is resetting
  // shared memory anyway) has no PGPROC any more.
  bool alive = pg_guard([pid] { return BackendPidGetProc(pid) != nullptr; });
  return alive ? static_cast<int>(pid) : 0;
}

void worker_heartbeat() {
  if (g_state && g_state->worker_pid == MyProcPid)
    pg_atomic_write_u64(&g_state->heartbeat, static_cast<uint64>(GetCurrentTimestamp()));
}

double worker_heartbeat_age_seconds() {
  if (!g_state || worker_pid_for_this_database() == 0) return -1;
  auto last = static_cast<TimestampTz>(pg_atomic_read_u64(&g_state->heartbeat));
  TimestampTz now = GetCurrentTimestamp();
  return now > last ? static_cast<double>(now - last) / 1e6 : 0.0;
}

void wake_worker_at_commit() {
  static bool callback_registered = false;
  if (!callback_registered) {
    RegisterXactCallback(on_xact_event, nullptr);
    callback_registered = true;
  }
  g_wake_at_commit = true;
}

}  // namespace tthub::shared
