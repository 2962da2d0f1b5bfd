// Client-side pacing for TikTok's per-endpoint limits (section 9 of the reference:
// N requests per 1-minute sliding window, each endpoint separately). One limiter is
// shared by every sync in flight. Time is passed in, so it is testable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace tthub {

class SlidingWindowLimiter {
 public:
  // margin_ms widens the window: a request replaces one sent 60 s + margin_ms earlier.
  explicit SlidingWindowLimiter(int per_minute, int64_t margin_ms = 0)
      : limit_(per_minute < 1 ? 1 : per_minute), window_ms_(kWindowMs + (margin_ms > 0 ? margin_ms : 0)) {}

  void set_limit(int per_minute) { limit_ = per_minute < 1 ? 1 : per_minute; }
  // Earliest time (ms) a request may be sent.
  int64_t next_slot(int64_t now_ms);
  // Records a request sent at now_ms (call only when next_slot(now_ms) <= now_ms).
  // Only the last `limit` sends decide the next slot, so no more are kept.
  void record(int64_t now_ms) {
    sent_.push_back(now_ms);
    while (static_cast<int>(sent_.size()) > limit_) sent_.pop_front();
  }
  size_t remembered() const { return sent_.size(); }
  // After a 429: no request before until_ms.
  void block_until(int64_t until_ms) {
    if (until_ms > blocked_until_) blocked_until_ = until_ms;
  }
  int64_t blocked_until() const { return blocked_until_; }

 private:
  static constexpr int64_t kWindowMs = 60000;
  int limit_;
  int64_t window_ms_;
  int64_t blocked_until_ = 0;
  std::deque<int64_t> sent_;
};

}  // namespace tthub
