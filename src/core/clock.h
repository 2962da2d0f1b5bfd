// The two clocks tthub uses: wall time for what is stored or sent (token expiries,
// log timestamps) and a monotonic clock for waiting and measuring durations.
#pragma once

#include <chrono>
#include <cstdint>

namespace tthub {

inline int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace tthub
