// The simulator's deterministic dataset: N accounts x M videos whose counters grow
// from one simulated day to the next. Pure functions of (account, video, day), so
// tests can compute the values they expect.
#pragma once

#include <cstdint>
#include <string>

namespace sim {

// Newest video's create_time (2026-01-01T00:00:00Z); video j is j*10 minutes older.
inline constexpr int64_t kNewestCreateTime = 1767225600;

std::string open_id(int account);  // 1-based account index
std::string video_id(int account, int video);  // video 0 is the newest
int64_t create_time(int video);

struct VideoStats {
  int64_t views, likes, comments, shares;
};
VideoStats video_stats(int account, int video, int day);

struct UserStats {
  int64_t followers, following, likes;
};
UserStats user_stats(int account, int day);

}  // namespace sim
