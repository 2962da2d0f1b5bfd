#include "core/rate_limiter.h"

#include <algorithm>

namespace tthub {

int64_t SlidingWindowLimiter::next_slot(int64_t now_ms) {
  while (!sent_.empty() && sent_.front() <= now_ms - window_ms_) sent_.pop_front();
  int64_t slot = now_ms;
  if (static_cast<int>(sent_.size()) >= limit_) {
    // The window is full: the slot opens when the request limit_-back leaves it.
    slot = sent_[sent_.size() - static_cast<size_t>(limit_)] + window_ms_;
  }
  return std::max(slot, blocked_until_);
}

}  // namespace tthub
