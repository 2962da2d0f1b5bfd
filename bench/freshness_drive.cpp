// Engine-level freshness benchmark (bench/freshness.sh): plays the worker's part in
// memory against the simulator in live mode, with the real core pieces (refresh
// planner, discovery, video/query with missing ids, the strict parsers, per-endpoint
// pacing), so the planner's choices and costs are measured without the database.
//
//   freshness_drive --sim http://127.0.0.1:P --stores N --mode full|tiered
//                   --sim-days D [--warmup-days W] [--cycle-ms C] [--threads T]
//                   [--list-rpm R] [--query-rpm R] [--user-rpm R] [--gaps 0|1]
//
// full:   today's daily sync: once per simulated day per store, user/info and every
//         video/list page (what tthub does without tiers), unpaced beyond the rpm.
// tiered: the planner every cycle, within the per-endpoint budgets.
// Prints one JSON object: calls per endpoint and per simulated day, 429s, the
// achieved intervals (gaps between observations) per tier, discovery latency, budget
// use while work was due, the planner's CPU and steps per due video.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/discovery.h"
#include "core/rate_limiter.h"
#include "core/refresh_planner.h"
#include "core/tiktok_api.h"
#include "core/video_query_batch.h"

using nlohmann::json;
namespace rf = tthub::refresh;
namespace tk = tthub::tiktok;

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Options {
  std::string sim;
  int stores = 10;
  std::string mode = "tiered";
  double sim_days = 3, warmup_days = 1;
  int cycle_ms = 100, threads = 16;
  int pages_per_job = 10;  // a pass goes in slices, so a store's fresh videos never wait for it
  double list_rpm = 600, query_rpm = 600, user_rpm = 600;
  bool gaps = true;
};

struct VideoRec {
  int64_t create_time = 0;
  std::optional<int64_t> last;
  bool removed = false;
};

struct StoreRec {
  std::string open_id, token;
  std::unordered_map<std::string, VideoRec> videos;
  int64_t newest = 0;
  std::optional<int64_t> last_user_info, last_discovery, last_full_pass, reported_count;
  int64_t pass_pages_left = 0;
  std::optional<int64_t> pass_cursor;
  int64_t pass_started = 0;
  std::vector<std::string> pass_seen;
  bool busy = false;  // a job for it is in flight
};

// Observation gaps by the tier the video was in when the gap began.
struct Gaps {
  std::array<std::vector<int64_t>, rf::kTiers> gaps;
  std::vector<int64_t> discovery_latency;  // post -> first observation, videos posted in the window
};

class Sim {
 public:
  explicit Sim(const std::string &base) : base_(base) {}
  tthub::HttpResponse send(const tthub::HttpRequest &r) {
    thread_local std::unique_ptr<httplib::Client> cli;
    if (!cli) {
      cli = std::make_unique<httplib::Client>(base_);
      cli->set_keep_alive(true);
      cli->set_read_timeout(10, 0);
    }
    std::string path = r.url.substr(base_.size());
    httplib::Headers h;
    std::string ctype = "application/json";
    for (const auto &line : r.headers) {
      auto c = line.find(": ");
      if (line.compare(0, c, "Content-Type") == 0) ctype = line.substr(c + 2);
      else h.emplace(line.substr(0, c), line.substr(c + 2));
    }
    auto res = r.method == "GET" ? cli->Get(path, h) : cli->Post(path, h, r.body, ctype);
    tthub::HttpResponse out;
    if (!res) {
      out.transport_error = "transport error";
      return out;
    }
    out.status = res->status;
    out.body = res->body;
    return out;
  }
  int64_t now() {
    thread_local std::unique_ptr<httplib::Client> c;
    if (!c) c = std::make_unique<httplib::Client>(base_);
    auto r = c->Get("/_sim/now");
    if (!r) return 0;
    auto j = json::parse(r->body);
    speed = j["speed"].get<double>();
    return j["sim_now"].get<int64_t>();
  }
  std::atomic<double> speed{1};
  json stats() {
    httplib::Client c(base_);
    c.set_read_timeout(60, 0);
    auto r = c.Get("/_sim/stats");
    return r ? json::parse(r->body) : json();
  }

 private:
  std::string base_;
};

// A paced endpoint: the core's sliding-window limiter, plus counters.
struct Endpoint {
  std::mutex mu;
  tthub::SlidingWindowLimiter limiter{600, 500};
  int64_t sent = 0, throttled = 0, failed = 0;
  void wait_slot() {
    for (;;) {
      {
        std::lock_guard<std::mutex> l(mu);
        int64_t now = steady_ms();
        int64_t at = std::max(limiter.next_slot(now), limiter.blocked_until());
        if (at <= now) {
          limiter.record(now);
          ++sent;
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  void outcome(const tk::ApiFailure *f) {
    if (!f) return;
    std::lock_guard<std::mutex> l(mu);
    if (f->kind == tk::FailureKind::kRateLimited) {
      ++throttled;
      limiter.block_until(steady_ms() + 1000);
    } else {
      ++failed;
    }
  }
};

class Driver {
 public:
  Driver(Options o) : o_(std::move(o)), sim_(o_.sim) {
    // Plan to each interval less a twelfth, as the worker does (src/ext/sync/engine_settings):
    // a read that takes a while still lands inside the interval the DBA set. Gaps are
    // judged against the settings themselves.
    auto lead = [](int64_t x) { return x - x / 12; };
    tiers_.fresh_interval = lead(settings_.fresh_interval);
    tiers_.young_interval = lead(settings_.young_interval);
    tiers_.old_interval = lead(settings_.old_interval);
    tiers_.old_max_interval = lead(settings_.old_max_interval);
    list_.limiter.set_limit(static_cast<int>(o_.list_rpm));
    query_.limiter.set_limit(static_cast<int>(o_.query_rpm));
    user_.limiter.set_limit(static_cast<int>(o_.user_rpm));
    stores_.resize(o_.stores);
    for (int i = 0; i < o_.stores; ++i) {
      stores_[i].open_id = "sim-open-" + std::to_string(i + 1);
      stores_[i].token = "act.sim-open-" + std::to_string(i + 1) + ".1";
    }
  }

  json run() {
    for (int t = 0; t < o_.threads; ++t) pool_.emplace_back([this] { work(); });
    int64_t t0 = sim_.now();
    sim_t0_ = t0;
    // Warm-up: every store's catalogue read once (what a 0.4 install already holds).
    for (size_t s = 0; s < stores_.size(); ++s) submit(s, [this, s] { full_pass(s, true); });
    drain();
    warming_ = false;
    window_start_ = sim_.now();
    int64_t end = window_start_ + static_cast<int64_t>(o_.sim_days * 86400);
    int64_t measure_from = t0 + static_cast<int64_t>(o_.warmup_days * 86400);
    measure_from_ = std::max(measure_from, window_start_);
    json start_stats = sim_.stats();
    int64_t start_calls[3] = {list_.sent, query_.sent, user_.sent};
    while (true) {
      int64_t now = sim_.now();
      if (now >= end) break;
      if (o_.mode == "full") full_cycle(now);
      else tiered_cycle(now);
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.cycle_ms));
    }
    drain();
    stop_ = true;
    cv_.notify_all();
    for (auto &t : pool_) t.join();
    int64_t now = sim_.now();
    json st = sim_.stats();
    double days = static_cast<double>(now - window_start_) / 86400.0;
    auto per_day = [&](int64_t n) { return static_cast<double>(n) / days; };
    json out;
    out["mode"] = o_.mode;
    out["stores"] = o_.stores;
    out["sim_days"] = days;
    out["calls"] = {{"list", list_.sent - start_calls[0]}, {"query", query_.sent - start_calls[1]}, {"user_info", user_.sent - start_calls[2]}};
    out["calls_per_day"] = {{"list", per_day(list_.sent - start_calls[0])}, {"query", per_day(query_.sent - start_calls[1])},
                            {"user_info", per_day(user_.sent - start_calls[2])},
                            {"total", per_day(list_.sent + query_.sent + user_.sent - start_calls[0] - start_calls[1] - start_calls[2])}};
    out["fresh_calls_per_day"] = {{"query_with_fresh", per_day(fresh_query_calls_)}, {"discovery", per_day(discovery_calls_)},
                                  {"user_info_fresh", per_day(fresh_user_calls_)}};
    auto sum = [](const json &j) {
      int64_t n = 0;
      if (j.is_object())
        for (auto &[k, v] : j.items()) n += v.get<int64_t>();
      return n;
    };
    out["sim_requests"] = sum(st["requests"]) - sum(start_stats["requests"]);
    out["sim_429"] = sum(st["throttled"]) - sum(start_stats["throttled"]);
    out["client_429"] = list_.throttled + query_.throttled + user_.throttled;
    out["failed"] = list_.failed + query_.failed + user_.failed;
    out["live"] = st["live"];
    out["query_missing_ids"] = st["query"]["missing_ids"];
    // Achieved intervals: every gap in the window, and the open gap at the end.
    std::lock_guard<std::mutex> l(mu_);
    for (auto &s : stores_)
      for (auto &[id, v] : s.videos)
        if (!v.removed && v.last) gap(v.create_time, *v.last, now, true);
    json tiers = json::object();
    for (int t = 0; t < rf::kTiers; ++t) {
      auto &g = gaps_.gaps[t];
      std::sort(g.begin(), g.end());
      auto at = [&](double q) { return g.empty() ? 0 : g[std::min(g.size() - 1, static_cast<size_t>(q * static_cast<double>(g.size())))]; };
      int64_t target = rf::interval_of(static_cast<rf::Tier>(t), settings_);
      auto over = [&](int64_t limit) {
        return static_cast<int64_t>(g.end() - std::upper_bound(g.begin(), g.end(), limit));
      };
      tiers[rf::tier_name(static_cast<rf::Tier>(t))] = {{"gaps", g.size()}, {"p50_s", at(0.5)}, {"p95_s", at(0.95)},
                                                        {"p99_s", at(0.99)}, {"max_s", g.empty() ? 0 : g.back()},
                                                        {"target_s", target}, {"over_target", over(target)},
                                                        {"over_old_max", over(settings_.old_max_interval)}};
    }
    out["gaps"] = tiers;
    auto &dl = gaps_.discovery_latency;
    std::sort(dl.begin(), dl.end());
    out["discovery_latency"] = {{"videos", dl.size()}, {"p50_s", dl.empty() ? 0 : dl[dl.size() / 2]},
                                {"p95_s", dl.empty() ? 0 : dl[std::min(dl.size() - 1, dl.size() * 95 / 100)]},
                                {"max_s", dl.empty() ? 0 : dl.back()}};
    out["budget_use_while_due"] = {
        {"list", due_budget_[0] ? static_cast<double>(due_spent_[0]) / static_cast<double>(due_budget_[0]) : 0},
        {"query", due_budget_[1] ? static_cast<double>(due_spent_[1]) / static_cast<double>(due_budget_[1]) : 0},
        {"user_info", due_budget_[2] ? static_cast<double>(due_spent_[2]) / static_cast<double>(due_budget_[2]) : 0}};
    out["planner"] = {{"plans", plans_}, {"cpu_s", planner_cpu_}, {"steps", planner_steps_}, {"due_videos", planner_due_},
                      {"candidates", planner_candidates_},
                      {"us_per_due_video", planner_due_ ? planner_cpu_ * 1e6 / static_cast<double>(planner_due_) : 0},
                      {"steps_per_due_video", planner_due_ ? static_cast<double>(planner_steps_) / static_cast<double>(planner_due_) : 0}};
    return out;
  }

 private:
  // Records one observation of a video at `now`.
  void observe(StoreRec &s, const tk::Video &v, int64_t now) {
    auto it = s.videos.find(v.id);
    if (it == s.videos.end()) {
      VideoRec r;
      r.create_time = v.create_time.value_or(now);
      it = s.videos.emplace(v.id, r).first;
      s.newest = std::max(s.newest, r.create_time);
      if (o_.gaps && r.create_time >= measure_from_ && now >= measure_from_)
        gaps_.discovery_latency.push_back(now - r.create_time);
    }
    VideoRec &r = it->second;
    if (r.last) gap(r.create_time, *r.last, now, false);
    r.last = now;
    r.removed = false;
  }
  // A gap counts in the tier the video is in when it ends: a fresh video observed at
  // 47.9 h is next due a day later, as a young one.
  void gap(int64_t create_time, int64_t from, int64_t to, bool open) {
    (void)open;
    if (!o_.gaps || to < measure_from_) return;
    rf::Tier t = rf::tier_of(create_time, to, settings_);
    gaps_.gaps[static_cast<int>(t)].push_back(to - from);
  }

  // Reads the store's whole list (a full pass), or `pages` pages of it.
  void full_pass(size_t si, bool whole, int64_t pages = 0) {
    StoreRec &s = stores_[si];
    std::optional<int64_t> cursor;
    int64_t started = sim_.now();
    {
      std::lock_guard<std::mutex> l(mu_);
      cursor = s.pass_cursor;
      if (!cursor) s.pass_started = started;
    }
    std::vector<std::string> seen;
    int64_t read = 0;
    bool finished = false;
    while (whole || read < pages) {
      if (warming_) {
        std::lock_guard<std::mutex> l(list_.mu);
        ++list_.sent;  // the warm-up stands for what an install already holds: not paced
      } else {
        list_.wait_slot();
      }
      auto r = tk::parse_video_page(sim_.send(tk::video_list_request(o_.sim, s.token, cursor, 20)));
      list_.outcome(r.ok() ? nullptr : &r.failure);
      ++read;
      if (!r.ok()) break;
      int64_t now = sim_.now();
      std::lock_guard<std::mutex> l(mu_);
      if (!cursor) s.last_discovery = now;
      for (const auto &v : r.value->videos) {
        observe(s, v, now);
        s.pass_seen.push_back(v.id);
      }
      if (!r.value->has_more) {
        finished = true;
        break;
      }
      cursor = r.value->cursor;
      s.pass_cursor = cursor;
    }
    std::lock_guard<std::mutex> l(mu_);
    if (finished) {
      // Videos the pass did not see are gone (deleted or private).
      std::sort(s.pass_seen.begin(), s.pass_seen.end());
      for (auto &[id, v] : s.videos)
        if (!std::binary_search(s.pass_seen.begin(), s.pass_seen.end(), id)) v.removed = true;
      s.pass_seen.clear();
      s.pass_cursor.reset();
      s.pass_pages_left = 0;
      s.last_full_pass = s.pass_started;
    } else {
      int64_t known = static_cast<int64_t>(s.videos.size());
      s.pass_pages_left = std::max<int64_t>(1, (known + 19) / 20 - static_cast<int64_t>(s.pass_seen.size()) / 20);
    }
    s.busy = false;
  }

  void discover(size_t si) {
    StoreRec &s = stores_[si];
    std::optional<int64_t> newest;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (s.newest) newest = s.newest;
    }
    tthub::discovery::Discovery d(
        [&](const std::string &id) {
          std::lock_guard<std::mutex> l(mu_);
          return s.videos.count(id) > 0;
        },
        newest);
    while (d.wants_more()) {
      list_.wait_slot();
      ++discovery_calls_;
      auto r = tk::parse_video_page(sim_.send(tk::video_list_request(o_.sim, s.token, d.next_cursor(), 20)));
      list_.outcome(r.ok() ? nullptr : &r.failure);
      if (!r.ok()) break;
      auto got = d.take(*r.value);
      int64_t now = sim_.now();
      std::lock_guard<std::mutex> l(mu_);
      for (const auto &v : got.observed) observe(s, v, now);
      if (!d.wants_more()) s.last_discovery = now;
    }
    std::lock_guard<std::mutex> l(mu_);
    s.busy = false;
  }

  void query(size_t si, std::vector<std::vector<std::string>> batches, bool has_fresh) {
    StoreRec &s = stores_[si];
    for (auto &ids : batches) {
      query_.wait_slot();
      if (has_fresh) ++fresh_query_calls_;
      int extra = 0;
      auto out = tk::query_videos(o_.sim, s.token, ids, [&](const tthub::HttpRequest &req) {
        if (extra++ > 0) query_.wait_slot();  // a split batch paces each call
        return sim_.send(req);
      });
      query_.outcome(out.failure ? &*out.failure : nullptr);
      int64_t now = sim_.now();
      std::lock_guard<std::mutex> l(mu_);
      for (const auto &v : out.videos) observe(s, v, now);
      if (!out.missing.empty()) s.last_full_pass.reset();  // only a full pass says "removed"
    }
    std::lock_guard<std::mutex> l(mu_);
    s.busy = false;
  }

  void user_info(size_t si, bool fresh) {
    StoreRec &s = stores_[si];
    user_.wait_slot();
    if (fresh) ++fresh_user_calls_;
    auto r = tk::parse_user_info(sim_.send(tk::user_info_request(o_.sim, s.token)));
    user_.outcome(r.ok() ? nullptr : &r.failure);
    std::lock_guard<std::mutex> l(mu_);
    if (r.ok()) {
      s.last_user_info = sim_now_cached_;
      s.reported_count = r.value->video_count;
    }
  }

  void full_cycle(int64_t now) {
    std::lock_guard<std::mutex> l(mu_);
    sim_now_cached_ = now;
    for (size_t si = 0; si < stores_.size(); ++si) {
      StoreRec &s = stores_[si];
      if (s.busy || (s.last_full_pass && now - *s.last_full_pass < 86400)) continue;
      s.busy = true;
      submit_locked(si, false, [this, si] {
        user_info(si, false);
        full_pass(si, true);
      });
    }
  }

  void tiered_cycle(int64_t now) {
    // Plan what falls due before the next plan has run: two cycles in simulated seconds.
    const int64_t lead = static_cast<int64_t>(2.0 * o_.cycle_ms / 1000.0 * sim_.speed.load());
    std::vector<rf::StoreState> in;
    std::vector<size_t> index;
    {
      std::lock_guard<std::mutex> l(mu_);
      sim_now_cached_ = now;
      for (size_t si = 0; si < stores_.size(); ++si) {
        StoreRec &s = stores_[si];
        if (s.busy) continue;
        rf::StoreState st;
        st.store_code = s.open_id;
        st.video_count = 0;
        for (auto &[id, v] : s.videos) {
          if (v.removed) continue;
          ++st.video_count;
          if (rf::next_due(v.create_time, v.last, tiers_) <= now + lead) st.videos.push_back({id, v.create_time, v.last, std::nullopt});
        }
        // Where the pass would read each candidate (refresh::VideoState::pass_rank), as
        // the worker tells its planner: newest first, what this pass saw left out.
        bool pass_may = s.pass_pages_left > 0 || !s.last_full_pass || now - *s.last_full_pass >= tiers_.old_interval / 2;
        if (pass_may && !st.videos.empty()) {
          std::unordered_set<std::string> seen;
          if (s.pass_cursor) seen.insert(s.pass_seen.begin(), s.pass_seen.end());
          std::vector<std::pair<int64_t, const std::string *>> order;
          for (auto &[id, v] : s.videos)
            if (!v.removed && !seen.count(id)) order.emplace_back(v.create_time, &id);
          std::sort(order.begin(), order.end(), [](const auto &a, const auto &b) {
            return a.first != b.first ? a.first > b.first : *a.second < *b.second;
          });
          std::unordered_map<std::string, int64_t> rank;
          for (size_t i = 0; i < order.size(); ++i) rank.emplace(*order[i].second, static_cast<int64_t>(i));
          for (auto &c : st.videos) {
            auto r = rank.find(c.video_id);
            c.pass_rank = r != rank.end() ? r->second : std::numeric_limits<int64_t>::max() / 2;
          }
        }
        if (s.newest) st.newest_create_time = s.newest;
        st.last_user_info = s.last_user_info;
        st.last_discovery = s.last_discovery;
        st.last_full_pass = s.last_full_pass;
        st.full_pass_pages_left = s.pass_pages_left;
        st.reported_video_count = s.reported_count;
        in.push_back(std::move(st));
        index.push_back(si);
      }
    }
    rf::PlanInput pin;
    pin.now = now;
    pin.tiers = tiers_;
    pin.minutes = static_cast<double>(o_.cycle_ms) / 60000.0;
    pin.lead = lead;
    pin.period = static_cast<int64_t>(o_.cycle_ms / 1000.0 * sim_.speed.load());
    // The budget accrues per cycle; what a plan leaves unspent carries over (a cycle
    // may be worth less than one call).
    double rpm[3] = {o_.list_rpm, o_.query_rpm, o_.user_rpm};
    for (int e = 0; e < 3; ++e) credit_[e] = std::min(credit_[e] + rpm[e] * pin.minutes, std::max(1.0, rpm[e] * pin.minutes * 10));
    pin.budget = {std::floor(credit_[0]) / pin.minutes, std::floor(credit_[1]) / pin.minutes, std::floor(credit_[2]) / pin.minutes};
    double c0 = cpu_seconds();
    rf::Plan p = rf::plan_refresh(in, pin);
    planner_cpu_ += cpu_seconds() - c0;
    planner_steps_ += p.steps;
    ++plans_;
    for (auto &t : p.tiers) planner_due_ += t.due;
    for (auto &st : in) planner_candidates_ += static_cast<int64_t>(st.videos.size());
    // Budget use while work was due: per endpoint, cycles whose demand reached the budget.
    const rf::EndpointReport *eps[3] = {&p.list, &p.query, &p.user_info};
    for (int e = 0; e < 3; ++e) credit_[e] -= static_cast<double>(eps[e]->planned);
    for (int e = 0; e < 3; ++e)
      if (eps[e]->demand >= eps[e]->budget && eps[e]->budget > 0) {
        due_budget_[e] += eps[e]->budget;
        due_spent_[e] += eps[e]->planned;
      }
    std::lock_guard<std::mutex> l(mu_);
    for (auto &sp : p.stores) {
      size_t si = index[sp.store];
      StoreRec &s = stores_[si];
      s.busy = true;
      bool fresh_store = s.newest && rf::tier_of(s.newest, now, tiers_) == rf::Tier::kFresh;
      bool has_fresh = false;
      for (auto &b : sp.query_batches)
        for (auto &id : b) {
          auto it = s.videos.find(id);
          if (it != s.videos.end() && rf::tier_of(it->second.create_time, now, tiers_) == rf::Tier::kFresh) has_fresh = true;
        }
      // Fresh videos first: jobs with fresh work jump the queue; within a job the
      // account, the query batches, then the list reading.
      submit_locked(si, has_fresh || (sp.discover && fresh_store), [this, si, sp, has_fresh, fresh_store] {
        if (sp.user_info) user_info(si, fresh_store || sp.user_info_discovers);
        if (sp.list_pages > 0 || sp.discover) {
          query(si, sp.query_batches, has_fresh);
          std::lock_guard<std::mutex> l2(mu_);
          stores_[si].busy = true;
        }
        if (sp.list_pages > 0) full_pass(si, false, std::min<int64_t>(sp.list_pages, o_.pages_per_job));
        else if (sp.discover) discover(si);
        else query(si, sp.query_batches, has_fresh);
      });
    }
  }

  void submit(size_t si, std::function<void()> job) {
    std::lock_guard<std::mutex> l(mu_);
    stores_[si].busy = true;
    submit_locked(si, false, std::move(job));
  }
  void submit_locked(size_t, bool urgent, std::function<void()> job) {
    {
      std::lock_guard<std::mutex> q(qmu_);
      if (urgent) jobs_.push_front(std::move(job));
      else jobs_.push_back(std::move(job));
      ++pending_;
    }
    cv_.notify_one();
  }
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> q(qmu_);
        cv_.wait(q, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
      {
        std::lock_guard<std::mutex> q(qmu_);
        --pending_;
      }
      done_cv_.notify_all();
    }
  }
  void drain() {
    std::unique_lock<std::mutex> q(qmu_);
    done_cv_.wait(q, [&] { return pending_ == 0; });
  }

  Options o_;
  Sim sim_;
  rf::TierSettings settings_, tiers_;  // as set; as planned
  std::vector<StoreRec> stores_;
  std::mutex mu_, qmu_;
  std::condition_variable cv_, done_cv_;
  std::deque<std::function<void()>> jobs_;
  int64_t pending_ = 0;
  std::vector<std::thread> pool_;
  std::atomic<bool> stop_{false}, warming_{true};
  Endpoint list_, query_, user_;
  Gaps gaps_;
  int64_t sim_t0_ = 0, window_start_ = 0, sim_now_cached_ = 0;
  int64_t measure_from_ = std::numeric_limits<int64_t>::max();  // nothing counts during the warm-up
  double credit_[3] = {0, 0, 0};  // calls the budget has accrued and the plans not spent
  std::atomic<int64_t> fresh_query_calls_{0}, discovery_calls_{0}, fresh_user_calls_{0};
  int64_t due_budget_[3] = {0, 0, 0}, due_spent_[3] = {0, 0, 0};
  double planner_cpu_ = 0;
  int64_t planner_steps_ = 0, planner_due_ = 0, planner_candidates_ = 0, plans_ = 0;
};

}  // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--sim") o.sim = v;
    else if (k == "--stores") o.stores = std::stoi(v);
    else if (k == "--mode") o.mode = v;
    else if (k == "--sim-days") o.sim_days = std::stod(v);
    else if (k == "--warmup-days") o.warmup_days = std::stod(v);
    else if (k == "--cycle-ms") o.cycle_ms = std::stoi(v);
    else if (k == "--threads") o.threads = std::stoi(v);
    else if (k == "--list-rpm") o.list_rpm = std::stod(v);
    else if (k == "--query-rpm") o.query_rpm = std::stod(v);
    else if (k == "--user-rpm") o.user_rpm = std::stod(v);
    else if (k == "--gaps") o.gaps = v != "0";
    else if (k == "--pages-per-job") o.pages_per_job = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (o.sim.empty() || (o.mode != "full" && o.mode != "tiered")) {
    std::cerr << "usage: freshness_drive --sim URL --stores N --mode full|tiered --sim-days D ...\n";
    return 2;
  }
  Driver d(o);
  std::cout << d.run().dump() << std::endl;
  return 0;
}
