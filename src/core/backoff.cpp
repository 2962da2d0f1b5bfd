#include "core/backoff.h"

#include <algorithm>

namespace tthub {

int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, double unit) {
  if (attempt < 1) attempt = 1;
  int64_t d = base_ms;
  for (int i = 1; i < attempt && d < cap_ms; ++i) d *= 2;
  d = std::min(d, cap_ms);
  unit = std::clamp(unit, 0.0, 1.0);
  return d / 2 + static_cast<int64_t>(static_cast<double>(d / 2) * unit);
}

}  // namespace tthub
