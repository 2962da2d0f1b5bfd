#include "dataset.h"

namespace sim {

std::string open_id(int account) { return "sim-open-" + std::to_string(account); }

std::string video_id(int account, int video) {
  // 20 digits like TikTok's documented example: larger than int64 can hold.
  return "9" + std::to_string(100000000000000000ULL + static_cast<uint64_t>(account) * 1000000ULL +
                              static_cast<uint64_t>(video)) +
         "7";
}

int64_t create_time(int video) { return kNewestCreateTime - static_cast<int64_t>(video) * 600; }

VideoStats video_stats(int account, int video, int day) {
  int64_t base = 1000 + (static_cast<int64_t>(account) * 7919 + static_cast<int64_t>(video) * 104729) % 100000;
  int64_t views = base + static_cast<int64_t>(day) * (video % 50 + 1) * 100;
  if (account == 1 && video == 0) views += 3000000000LL;  // a viral video: past 2^31
  return {views, views / 20, views / 200, views / 500};
}

UserStats user_stats(int account, int day) {
  return {1000LL * account + 10LL * account * day, 50LL + account, 5000LL * account + 100LL * day};
}

}  // namespace sim
