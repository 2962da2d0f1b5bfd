#include "core/retry_policy.h"

#include <algorithm>

namespace tthub {

bool is_transient(tiktok::FailureKind kind) {
  return kind == tiktok::FailureKind::kRetryable || kind == tiktok::FailureKind::kMalformed;
}

int64_t full_jitter_delay_ms(int retry, int64_t base_ms, int64_t cap_ms, double unit) {
  if (retry < 1) retry = 1;
  int64_t d = std::max<int64_t>(base_ms, 0);
  for (int i = 1; i < retry && d < cap_ms; ++i) d *= 2;
  d = std::min(d, cap_ms);
  unit = std::clamp(unit, 0.0, 1.0);
  return static_cast<int64_t>(static_cast<double>(d) * unit);
}

}  // namespace tthub
