// Request-level retries: a transient failure of one TikTok request (connect error,
// timeout, 5xx, a truncated or malformed body) is sent again in place, after a capped
// exponential backoff with full jitter, before the sync attempt is given up. Seed 001
// retried each call 3 times, 1 s to 30 s; tthub.request_retries sets how many.
#pragma once

#include <cstdint>

#include "core/tiktok_api.h"

namespace tthub {

struct RetryPolicy {
  int max_retries = 4;        // tthub.request_retries: retries of one request
  int64_t base_ms = 1000;     // first retry waits up to this
  int64_t cap_ms = 30000;     // no retry waits longer
};

// Worth sending the same request again: the fault is on the wire or at TikTok's end.
// A 429 is not among them: it waits for the rate limit and spends no retry.
bool is_transient(tiktok::FailureKind kind);

// Delay before retry number `retry` (1-based): "full jitter", uniformly in
// [0, min(cap, base * 2^(retry-1))] (unit in [0,1)), so that many syncs hit by one
// outage do not come back in step.
int64_t full_jitter_delay_ms(int retry, int64_t base_ms, int64_t cap_ms, double unit);

}  // namespace tthub
