#include "live_catalogue.h"

#include <algorithm>
#include <cmath>

namespace sim {

void SimClock::set(int64_t start, double speed) {
  start_ = start;
  speed_ = speed > 0 ? speed : 1;
  t0_ = std::chrono::steady_clock::now();
}

int64_t SimClock::now() const {
  double real = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  return start_ + static_cast<int64_t>(real * speed_);
}

double launch_share(int64_t age_seconds) {
  if (age_seconds <= 0) return 0;
  double a = static_cast<double>(age_seconds);
  return 0.4 * (1 - std::exp(-a / (14 * 3600.0))) + 0.6 * (1 - std::exp(-a / (30 * 86400.0)));
}

VideoStats live_stats(const LiveVideo &v, int64_t now) {
  int64_t views = static_cast<int64_t>(std::floor(static_cast<double>(v.lifetime_views) * launch_share(now - v.create_time)));
  return {views, views / 20, views / 200, views / 500};
}

namespace {
int64_t exp_gap(std::mt19937_64 &rng, double per_day) {
  double mean = 86400.0 / per_day;
  return std::max<int64_t>(1, static_cast<int64_t>(std::exponential_distribution<double>(1.0 / mean)(rng)));
}

LiveVideo make_video(int account, int number, int64_t create_time, std::mt19937_64 &rng) {
  LiveVideo v;
  v.id = video_id(account, number);
  v.create_time = create_time;
  // Lifetime views: most videos modest, a few large (log-uniform, 1,000 to 2,000,000).
  v.lifetime_views = static_cast<int64_t>(std::exp(std::uniform_real_distribution<double>(std::log(1000.0), std::log(2e6))(rng)));
  return v;
}
}  // namespace

void LiveAccount::build(int account, int n, const LiveSettings &settings, int64_t now) {
  index = account;
  rng.seed(0x7477687562ULL + static_cast<uint64_t>(account));
  videos.clear();
  by_id.clear();
  deleted = 0;
  std::vector<int64_t> times;
  int64_t span = std::max<int64_t>(1, static_cast<int64_t>(settings.history_days * 86400));
  for (int i = 0; i < n; ++i) times.push_back(now - 1 - static_cast<int64_t>(std::uniform_int_distribution<int64_t>(0, span - 1)(rng)));
  std::sort(times.begin(), times.end());
  // One video per second at most: the list cursor is a time, and equal times would
  // make a page boundary ambiguous.
  for (size_t i = 1; i < times.size(); ++i) times[i] = std::max(times[i], times[i - 1] + 1);
  if (!times.empty() && times.back() >= now) {
    int64_t shift = times.back() - now + 1;
    for (auto &t : times) t -= shift;
  }
  next_number = 0;
  for (int64_t t : times) {
    videos.push_back(make_video(account, next_number++, t, rng));
    by_id[videos.back().id] = videos.size() - 1;
  }
  next_post = settings.post_per_day > 0 ? now + exp_gap(rng, settings.post_per_day) : 0;
  next_delete = settings.delete_per_day > 0 ? now + exp_gap(rng, settings.delete_per_day) : 0;
}

std::pair<int, int> LiveAccount::advance(const LiveSettings &settings, int64_t now) {
  int posted = 0, removed = 0;
  if (settings.post_per_day <= 0) next_post = 0;
  else if (next_post == 0) next_post = now + exp_gap(rng, settings.post_per_day);
  while (next_post != 0 && next_post <= now) {
    int64_t t = videos.empty() ? next_post : std::max(next_post, videos.back().create_time + 1);
    videos.push_back(make_video(index, next_number++, t, rng));
    by_id[videos.back().id] = videos.size() - 1;
    ++posted;
    next_post = t + exp_gap(rng, settings.post_per_day);
  }
  if (settings.delete_per_day <= 0) next_delete = 0;
  else if (next_delete == 0) next_delete = now + exp_gap(rng, settings.delete_per_day);
  while (next_delete != 0 && next_delete <= now) {
    for (int tries = 0; visible() > 0 && tries < 100; ++tries) {
      LiveVideo &v = videos[std::uniform_int_distribution<size_t>(0, videos.size() - 1)(rng)];
      if (!v.deleted_at && v.create_time <= next_delete) {
        v.deleted_at = next_delete;
        ++deleted;
        ++removed;
        break;
      }
    }
    next_delete += exp_gap(rng, settings.delete_per_day);
  }
  return {posted, removed};
}

LiveVideo *LiveAccount::find(const std::string &id) {
  auto it = by_id.find(id);
  return it == by_id.end() ? nullptr : &videos[it->second];
}

bool LiveAccount::delete_video(const std::string &id, int64_t now) {
  LiveVideo *v = find(id);
  if (!v || v->deleted_at) return false;
  v->deleted_at = now;
  ++deleted;
  return true;
}

}  // namespace sim
