// Sends webhook deliveries (table tthub.deliveries) from the sync worker's loop, which
// owns it as it owns the sync engine. It has its own libcurl multi handle (a slow or
// dead endpoint never holds a sync's connections) and never waits: each step polls
// with a zero timeout, so syncs and other endpoints go on while a delivery hangs
// until tthub.webhook_timeout. At most tthub.webhook_max_in_flight deliveries per
// webhook are on the wire (the claim in SQL counts them). Each step also runs, once a
// minute, the scan that emits account.token_expiring and sync.day_incomplete.
#pragma once

#include <cstdint>
#include <memory>

#include "ext/pg/db_work.h"

namespace tthub::alerts {

class WebhookDispatcher {
 public:
  explicit WebhookDispatcher(DbWork &db);
  ~WebhookDispatcher();  // drops the transfers on the wire
  WebhookDispatcher(const WebhookDispatcher &) = delete;
  WebhookDispatcher &operator=(const WebhookDispatcher &) = delete;

  // One step: records finished deliveries, claims and sends due ones, scans.
  // work_queued: the worker was woken or a job finished (an event may have queued
  // deliveries). Returns how long the worker may sleep before the next step (ms).
  int64_t step(bool work_queued);

  // Shutdown: deliveries on the wire are dropped and go back to the queue without
  // spending an attempt. Never throws.
  void shutdown();

  struct State;  // what it keeps across steps (webhook_dispatcher.cpp)

 private:
  int64_t step_or_throw(bool work_queued);
  DbWork &db_;
  std::unique_ptr<State> s_;
};

}  // namespace tthub::alerts
