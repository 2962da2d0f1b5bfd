#include "core/backoff.h"

#include <algorithm>
#include <random>

namespace tthub {

int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, double unit) {
  if (attempt < 1) attempt = 1;
  int64_t d = base_ms;
  for (int i = 1; i < attempt && d < cap_ms; ++i) d *= 2;
  d = std::min(d, cap_ms);
  unit = std::clamp(unit, 0.0, 1.0);
  return d / 2 + static_cast<int64_t>(static_cast<double>(d / 2) * unit);
}

double jitter_unit() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace tthub
