#include "ext/pg/shmem_struct.h"

#include "ext/pg/pg_bridge.h"

namespace tthub::shmem {
namespace {

struct Request {
  const char *name;
  size_t size;
  InitFn init;
  void **out;
};

constexpr int kMaxStructs = 4;
Request g_requests[kMaxStructs];
int g_count = 0;
shmem_request_hook_type g_prev_request = nullptr;
shmem_startup_hook_type g_prev_startup = nullptr;

void request_shmem() {
  if (g_prev_request) g_prev_request();
  for (int i = 0; i < g_count; ++i) RequestAddinShmemSpace(MAXALIGN(g_requests[i].size));
}

void startup_shmem() {
  if (g_prev_startup) g_prev_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  for (int i = 0; i < g_count; ++i) {
    const Request &r = g_requests[i];
    bool found = false;
    *r.out = ShmemInitStruct(r.name, r.size, &found);
    if (!found) r.init(*r.out);
  }
  LWLockRelease(AddinShmemInitLock);
}

}  // namespace

void request_struct(const char *name, size_t size, InitFn init, void **out) {
  if (g_count == kMaxStructs) throw Error(sqlstate::kInternalError, "tthub: too many shared memory structs");
  if (g_count == 0) {  // the hooks once, for every struct
    g_prev_request = shmem_request_hook;
    shmem_request_hook = request_shmem;
    g_prev_startup = shmem_startup_hook;
    shmem_startup_hook = startup_shmem;
  }
  g_requests[g_count++] = {name, size, init, out};
}

}  // namespace tthub::shmem
