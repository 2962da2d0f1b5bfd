// The webhook delivery queue (table tthub.deliveries): every C++ write to it is here,
// through the SQL functions that hold the queue's rules (claim with a per-webhook cap,
// finish, orphan requeue), which are, with every other SQL function that writes it,
// in src/extension_sql/functions/50-alerts.sql. Events add deliveries (tthub._emit_event).
// Call inside a unit of DbWork.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/webhook_payload.h"

namespace tthub::alerts::deliveries {

// A running delivery's lease: it outlives the longest attempt (tthub.webhook_timeout
// is at most a minute); a worker that dies leaves it to expire.
inline constexpr int64_t kLeaseSeconds = 300;

struct Claimed {
  std::string store_code;
  int64_t delivery_id = 0;
  int64_t webhook_id = 0;
  int attempts = 0;  // including this one
  std::string url;
  std::string format;
  webhook::Event event;
  std::vector<uint8_t> secret_enc;
  bool allow_private = false;
};

// Up to max_total due deliveries, at most per_webhook on the wire per webhook,
// leased to this process.
std::vector<Claimed> claim(int max_total, int per_webhook);
// Milliseconds until the next claimable delivery is due; none when nothing is queued.
std::optional<int64_t> next_due_ms(int per_webhook);

struct Attempt {
  std::string store_code;
  int64_t delivery_id = 0;
  bool ok = false;
  long http_status = 0;
  std::string error;
  int64_t duration_ms = 0;
};
// Records an attempt: done, queued again after retry_ms, or dead when its attempts
// are spent. Returns the new state ("gone" when the delivery is no longer this
// process's: redelivered, removed or requeued as an orphan meanwhile).
std::string finish(const Attempt &a, int64_t retry_ms, int max_attempts);

// Deliveries of dead workers back to the queue, or dead when their attempts are spent.
int requeue_orphans(int max_attempts);
// Shutdown: every delivery this process is sending back to the queue without
// spending an attempt, waiting for row locks at most lock_waits::kWorkerMs.
void requeue_running();

// Events and deliveries older than the retention; returns rows deleted.
int64_t prune(int retention_days);

}  // namespace tthub::alerts::deliveries
