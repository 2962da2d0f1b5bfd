// The refresh planner (issue 19): which videos, accounts and catalogue pages to read
// now, within TikTok's per-endpoint budget (reference section 9: video/list,
// video/query and user/info each have their own calls per minute). Pure C++: no
// Postgres, no I/O, no clock; every time is passed in (epoch seconds in whatever time
// base create_time uses, so tests and benchmarks can compress days).
//
// Rules:
// - A video's tier comes from its age: fresh (< fresh_age), young (< young_age), old.
//   It is due when its latest observation is at least its tier's interval old (never
//   observed: due). Old videos' interval is old_interval (daily) while the budget
//   allows; when it does not, the old tier stretches, up to old_max_interval.
// - Priority (video/query): fresh, then old videos past old_max_interval (the floor the
//   DBA was promised), then young, then old; within each, the longest-unobserved first.
//   Fresh is never stretched: it is served before anything else, and a plan of one
//   store among many (PlanInput::share) may spend more than its share on it
//   (PlanInput::fresh_share).
// - One call reads up to 20 ids of one store (one token). A store's calls are filled in
//   priority order, so a call bought for 3 fresh videos carries 17 young or old ones.
// - Fairness: within a priority class, calls are shared max-min across stores (each
//   store with due work gets a call before any gets a second; what cannot go round goes
//   to the stores whose most overdue item is oldest), so one store with 50,000 videos
//   cannot starve 9,999 small ones.
// - video/list: discovery (read until the first known video, core/discovery.h) every
//   discovery_interval (default: fresh_interval), and a full pass at the old tier's pace
//   (old_interval, promoted when last done old_max_interval ago) so deleted or private
//   videos are noticed. Order: discovery of stores whose user/info says they posted,
//   overdue passes, the passes' reserve (the pages every catalogue needs per
//   old_max_interval, so passes never pile up at the floor together), discovery, due
//   passes.
// - A full pass reads newest first and observes every video it returns, but only as
//   fast as the list budget lets it: with a short budget a pass lasts days. So a pass
//   stands in for video/query only for the young and old videos it reads within this
//   plan: every video when the pages planned finish the pass, else those whose
//   pass_rank falls inside the pages planned. Every other due video is served by
//   video/query in priority order, pass in progress or not, so neither endpoint's
//   budget idles while work is due.
// - user/info: at the interval of the fastest tier any of the store's videos is in;
//   what is left of its budget is the discovery of stores whose discovery is due but
//   got no list call (a grown video_count is how a store that posted is found without
//   one). A store whose account is not due looks for posts with one call: a list
//   discovery or a user/info read. (A store with a fresh video reads its account, due
//   every fresh interval, beside its list discovery: the list call finds a post in the
//   same job.)
//
// Interface for the worker (freshness-data):
//   PlanInput in{now, tiers (from the tthub.*_video_* settings), budget (calls/minute
//                per endpoint), minutes (how much of the budget this plan may spend)};
//   std::vector<StoreState> stores = per store: its due candidates (at least every video
//                with next_due(...) <= now; passing all videos is correct, only slower),
//                video_count, newest_create_time, last_* times, a pass in progress;
//   Plan p = plan_refresh(stores, in);
//   for each StorePlan: user_info? discover? list_pages (start or continue the full
//   pass, that many pages now)? query_batches (each <= 20 ids: core/video_query_batch.h).
//   p.tiers[t]: per tier what was due, planned and left, for metrics and logs.
//   next_due(create_time, last_observed, tiers): when a video becomes due, for an index.
// Its own cost is O(candidates log candidates + stores with work log stores): feed it
// candidates from an index on the next due time, not every video of every store.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tthub::refresh {

enum class Tier { kFresh = 0, kYoung = 1, kOld = 2 };
inline constexpr int kTiers = 3;
const char *tier_name(Tier t);

// Seconds. Defaults are the issue's: 48 h / 1 h, 30 d / 1 d, old daily, at least 7 d.
struct TierSettings {
  int64_t fresh_age = 48 * 3600;
  int64_t fresh_interval = 3600;
  int64_t young_age = 30 * 86400;
  int64_t young_interval = 86400;
  int64_t old_interval = 86400;          // "every day while the budget allows"
  int64_t old_max_interval = 7 * 86400;  // "at least every 7 d otherwise"
  int64_t discovery_interval = 0;        // 0: fresh_interval (a new video is fresh)
};

// Calls per minute on each endpoint (reference section 9: 600 each by default).
struct Budget {
  double list_per_minute = 600;
  double query_per_minute = 600;
  double user_info_per_minute = 600;
};

struct VideoState {
  std::string video_id;
  int64_t create_time = 0;
  std::optional<int64_t> last_observed;
  // Videos the full pass reads before this one from where it stands (its next page's
  // first video is 0; newest first, videos it listed already left out). None: not
  // known, which leaves the video to the pass only when this plan finishes the pass.
  // A video the pass already listed and will not read again: a rank past any plan.
  std::optional<int64_t> pass_rank;
};

struct StoreState {
  std::string store_code;
  std::vector<VideoState> videos;  // candidates (see above); removed videos left out
  int64_t video_count = 0;         // known, not removed: sizes a full pass
  std::optional<int64_t> newest_create_time;  // of any of its videos: its fastest tier
  std::optional<int64_t> last_user_info;
  std::optional<int64_t> last_discovery;
  std::optional<int64_t> last_full_pass;      // when the last complete pass started
  // video_count from the latest user/info: more than video_count, read no earlier than
  // the last discovery, means something was posted since, so discovery goes first; not
  // more, and that user/info read counts as a discovery (no list call needed to find
  // nothing).
  std::optional<int64_t> reported_video_count;
  int64_t full_pass_pages_left = 0;           // > 0: a pass in progress, this many pages to go (estimate)
};

struct PlanInput {
  int64_t now = 0;
  TierSettings tiers;
  Budget budget;
  // The plan spends at most budget * minutes * share calls per endpoint, or up to
  // budget * minutes * fresh_share on the fresh tier's work (below).
  double minutes = 1.0;
  // The part of the budget this plan may spend: 1 when it plans every store sharing the
  // budget (the planner shares it max-min); 1/N when it plans one of N stores whose
  // plans are made apart (the worker's refresh jobs). A fraction of a call left over
  // is one more call when share_unit (uniform in [0,1)) falls below it; the default
  // drops it.
  double share = 1.0;
  double share_unit = 1.0;
  // The part of the budget the fresh tier's work may spend (known posts to find, fresh
  // videos, accounts of stores with one), when more than `share`: the fresh tier is
  // never stretched, so a store's fresh work is not held to an equal share beside
  // stores whose work is young or old. What it takes comes off the store's share first.
  // 0: `share`. The worker plans with 1: the rate limiter still holds every endpoint to
  // its budget, and the claim serves stores with a fresh video due first.
  double fresh_share = 0.0;
  // Seconds of the tiers' time this plan covers (0: minutes * 60). Differs from
  // minutes * 60 only when time is compressed (benchmarks, tests).
  int64_t period = 0;
  // Seconds ahead: what falls due before the next plan runs counts as due now, so a
  // video due every hour is not read an hour plus a planning period apart. Set it to
  // the planning period (pg_cron's schedule, or the worker's own cycle). Capped at half
  // of each interval it is applied to (a video, a pass, a discovery, an account).
  int64_t lead = 0;
};

struct StorePlan {
  size_t store = 0;  // index into the input
  bool user_info = false;
  // The account is not due: the read is the store's discovery (its calls count in the
  // fresh tier, as a list discovery's do).
  bool user_info_discovers = false;
  bool discover = false;
  int64_t list_pages = 0;  // > 0: start (or continue) the full pass and read this many pages
  std::vector<std::vector<std::string>> query_batches;
};

struct TierReport {
  int64_t videos = 0;   // candidates in the tier
  int64_t due = 0;
  int64_t planned = 0;  // due videos in a query batch of this plan
  int64_t by_pass = 0;  // due videos the full pass reads within this plan instead
  int64_t left = 0;     // due and neither (stretched)
  std::optional<int64_t> oldest_left_age;  // seconds since the stalest left one was observed (never: since it was posted)
  int64_t accounts_due = 0, accounts_planned = 0;  // user/info, by the store's fastest tier
};

struct EndpointReport {
  int64_t budget = 0;  // calls this plan's share could spend (fresh work may take more: fresh_share)
  int64_t planned = 0;   // user/info: with the reads that stand in for a discovery
  int64_t demand = 0;  // calls all due work would need (user/info: due accounts only)
};

struct Plan {
  std::vector<StorePlan> stores;  // only stores with something to do, in input order
  std::array<TierReport, kTiers> tiers{};
  EndpointReport list, query, user_info;
  int64_t passes_due = 0, passes_planned = 0;
  int64_t discoveries_due = 0;
  int64_t discoveries_planned = 0;  // stores whose list reading starts at the top (a new pass discovers too), or whose user/info read stands in
  int64_t steps = 0;  // elements touched and compared: the planner's own cost, for tests
};

Tier tier_of(int64_t create_time, int64_t now, const TierSettings &t);
// The interval a video of this tier is due at (old: old_interval).
int64_t interval_of(Tier tier, const TierSettings &t);
// When a video becomes due: its first time t >= last_observed with
// t - last_observed >= interval(tier at t). Never observed: create_time.
int64_t next_due(int64_t create_time, std::optional<int64_t> last_observed, const TierSettings &t);

Plan plan_refresh(const std::vector<StoreState> &stores, const PlanInput &in);

// The achieved interval per tier: p50 and p95 of the age of each video's latest
// observation (never observed: its age), over the videos given.
struct AchievedInterval {
  int64_t videos = 0;
  int64_t p50 = 0, p95 = 0, max = 0;
};
std::array<AchievedInterval, kTiers> achieved_intervals(const std::vector<VideoState> &videos, int64_t now,
                                                        const TierSettings &t);

}  // namespace tthub::refresh
