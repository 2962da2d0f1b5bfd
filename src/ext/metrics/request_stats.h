// Counters of TikTok requests by endpoint and status class, with their total time,
// in shared memory: every process that syncs (the worker, tthub_sync_now) adds to
// them, and tthub_reporting.metrics_requests reads them for Prometheus. They start
// at zero with the server, as Prometheus counters may.
#pragma once

#include <string>

#include "core/tiktok_api.h"

namespace tthub::metrics {

// From _PG_init when preloaded: requests and initialises the counters.
void install_hooks();

// One completed TikTok request (endpoint: tiktok::Endpoint as an int). Lock-free;
// never throws, never calls Postgres.
void record_request(int endpoint, const HttpResponse &response) noexcept;

// The counters as a JSON array of {endpoint, status_class, requests, duration_seconds}.
std::string snapshot_json();

}  // namespace tthub::metrics
