// The simulator's live mode (issue 19): catalogues whose videos were posted over the
// past at realistic times, new videos posted while it runs, counters that follow a
// launch curve (fast when young, slow when old) in simulated time, deletions, and a
// clock that can run faster than real time so tests compress days into seconds.
// Off by default: without it the simulator serves dataset.h exactly as before.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataset.h"

namespace sim {

// Simulated time: start + (real time since the clock was set) x speed.
class SimClock {
 public:
  void set(int64_t start, double speed);
  void set_speed(double speed) { set(now(), speed); }  // keeps time continuous
  void advance(int64_t seconds) { start_ += seconds; }
  int64_t now() const;
  double speed() const { return speed_; }

 private:
  int64_t start_ = 0;
  double speed_ = 1;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

// The share of a video's lifetime views it has at a given age: about a third in the
// first 24 h, over half in the first week (the figures), still growing slowly
// months later. 0.4 (1 - e^(-age/14 h)) + 0.6 (1 - e^(-age/30 d)).
double launch_share(int64_t age_seconds);

struct LiveVideo {
  std::string id;
  int64_t create_time = 0;
  int64_t lifetime_views = 0;
  int64_t deleted_at = 0;  // 0: not deleted
};

struct LiveSettings {
  double history_days = 365;  // the catalogue at start was posted over this many days
  double post_per_day = 0;    // new videos per account per simulated day (random times)
  double delete_per_day = 0;  // random deletions per account per simulated day
};

struct LiveAccount {
  int index = 0;
  std::vector<LiveVideo> videos;  // oldest first; new posts go at the end
  std::unordered_map<std::string, size_t> by_id;  // id -> position in videos
  size_t deleted = 0;
  int next_number = 0;            // the next video's number in its id
  int64_t next_post = 0, next_delete = 0;  // simulated times; 0: none scheduled
  std::mt19937_64 rng;

  // A catalogue of n videos posted over settings.history_days before now.
  void build(int account, int n, const LiveSettings &settings, int64_t now);
  // Posts and random deletions up to now. Returns how many of each happened.
  std::pair<int, int> advance(const LiveSettings &settings, int64_t now);
  LiveVideo *find(const std::string &id);
  bool delete_video(const std::string &id, int64_t now);
  size_t visible() const { return videos.size() - deleted; }
};

VideoStats live_stats(const LiveVideo &v, int64_t now);

}  // namespace sim
