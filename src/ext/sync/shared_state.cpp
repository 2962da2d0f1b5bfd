#include "ext/sync/shared_state.h"

#include "ext/pg/pg_bridge.h"

namespace tthub::shared {
namespace {

struct SharedState {
  pid_t worker_pid;
  Latch *worker_latch;
};

SharedState *g_state = nullptr;
bool g_wake_at_commit = false;
shmem_request_hook_type g_prev_request = nullptr;
shmem_startup_hook_type g_prev_startup = nullptr;

void request_shmem() {
  if (g_prev_request) g_prev_request();
  RequestAddinShmemSpace(MAXALIGN(sizeof(SharedState)));
}

void startup_shmem() {
  if (g_prev_startup) g_prev_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found = false;
  g_state = static_cast<SharedState *>(ShmemInitStruct("tthub", sizeof(SharedState), &found));
  if (!found) {
    g_state->worker_pid = 0;
    g_state->worker_latch = nullptr;
  }
  LWLockRelease(AddinShmemInitLock);
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

}  // namespace

void install_hooks() {
  g_prev_request = shmem_request_hook;
  shmem_request_hook = request_shmem;
  g_prev_startup = shmem_startup_hook;
  shmem_startup_hook = startup_shmem;
}

void register_worker() {
  if (!g_state) return;
  g_state->worker_pid = MyProcPid;
  g_state->worker_latch = MyLatch;
}

void unregister_worker() {
  if (g_state && g_state->worker_pid == MyProcPid) {
    g_state->worker_latch = nullptr;
    g_state->worker_pid = 0;
  }
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
