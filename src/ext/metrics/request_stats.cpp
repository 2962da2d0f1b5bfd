#include "ext/metrics/request_stats.h"

#include <nlohmann/json.hpp>

#include "core/account_sync.h"
#include "ext/pg/pg_bridge.h"

namespace tthub::metrics {
namespace {

// 1xx..5xx by their first digit; "error": no HTTP response (network, timeout).
constexpr const char *kClasses[] = {"error", "1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr int kClassCount = 6;

struct Counters {
  pg_atomic_uint64 requests[tiktok::kEndpointCount][kClassCount];
  pg_atomic_uint64 duration_us[tiktok::kEndpointCount][kClassCount];
};

Counters *g_counters = nullptr;
shmem_request_hook_type g_prev_request = nullptr;
shmem_startup_hook_type g_prev_startup = nullptr;

void request_shmem() {
  if (g_prev_request) g_prev_request();
  RequestAddinShmemSpace(MAXALIGN(sizeof(Counters)));
}

void startup_shmem() {
  if (g_prev_startup) g_prev_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found = false;
  g_counters = static_cast<Counters *>(ShmemInitStruct("tthub request stats", sizeof(Counters), &found));
  if (!found) {
    for (int e = 0; e < tiktok::kEndpointCount; ++e)
      for (int c = 0; c < kClassCount; ++c) {
        pg_atomic_init_u64(&g_counters->requests[e][c], 0);
        pg_atomic_init_u64(&g_counters->duration_us[e][c], 0);
      }
  }
  LWLockRelease(AddinShmemInitLock);
}

int status_class(long status) { return status >= 100 && status < 600 ? static_cast<int>(status / 100) : 0; }

}  // namespace

void install_hooks() {
  g_prev_request = shmem_request_hook;
  shmem_request_hook = request_shmem;
  g_prev_startup = shmem_startup_hook;
  shmem_startup_hook = startup_shmem;
}

void record_request(int endpoint, const tiktok::HttpResponse &response) noexcept {
  if (!g_counters || endpoint < 0 || endpoint >= tiktok::kEndpointCount) return;
  int c = status_class(response.transport_error.empty() ? response.status : 0);
  pg_atomic_fetch_add_u64(&g_counters->requests[endpoint][c], 1);
  pg_atomic_fetch_add_u64(&g_counters->duration_us[endpoint][c],
                          static_cast<uint64>(response.elapsed_us > 0 ? response.elapsed_us : 0));
}

std::string snapshot_json() {
  nlohmann::json rows = nlohmann::json::array();
  if (!g_counters) return rows.dump();
  for (int e = 0; e < tiktok::kEndpointCount; ++e)
    for (int c = 0; c < kClassCount; ++c) {
      uint64 n = pg_atomic_read_u64(&g_counters->requests[e][c]);
      uint64 us = pg_atomic_read_u64(&g_counters->duration_us[e][c]);
      rows.push_back({{"endpoint", tiktok::endpoint_name(static_cast<tiktok::Endpoint>(e))},
                      {"status_class", kClasses[c]},
                      {"requests", n},
                      {"duration_seconds", static_cast<double>(us) / 1e6}});
    }
  return rows.dump();
}

}  // namespace tthub::metrics
