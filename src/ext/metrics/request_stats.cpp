#include "ext/metrics/request_stats.h"

#include <nlohmann/json.hpp>

#include "core/account_sync.h"
#include "ext/pg/pg_bridge.h"
#include "ext/pg/shmem_struct.h"

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

void init_counters(void *fresh) {
  auto *c = static_cast<Counters *>(fresh);
  for (int e = 0; e < tiktok::kEndpointCount; ++e)
    for (int k = 0; k < kClassCount; ++k) {
      pg_atomic_init_u64(&c->requests[e][k], 0);
      pg_atomic_init_u64(&c->duration_us[e][k], 0);
    }
}

int status_class(long status) { return status >= 100 && status < 600 ? static_cast<int>(status / 100) : 0; }

}  // namespace

void install_hooks() {
  shmem::request_struct("tthub request stats", sizeof(Counters), init_counters, reinterpret_cast<void **>(&g_counters));
}

void record_request(int endpoint, const HttpResponse &response) noexcept {
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
