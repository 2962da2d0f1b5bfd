// Capped exponential backoff with jitter, for retries of failed jobs and 429s.
#pragma once

#include <cstdint>

namespace tthub {

// Delay before retry number `attempt` (1-based): base * 2^(attempt-1), capped, then
// "equal jitter": half fixed, half random (unit is in [0,1)), so retries of many stores
// that failed together spread out instead of returning together.
int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, double unit);

// The jitter every tthub delay draws (job retries, request retries, 429 pauses,
// webhook retries): uniform in [0,1), from one generator seeded once per process.
double jitter_unit();

}  // namespace tthub
