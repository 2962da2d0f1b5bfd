#include "core/refresh_planner.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/tiktok_limits.h"

namespace tthub::refresh {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::min();  // staleness key: never observed
constexpr int64_t kIds = tiktok::kMaxVideoIdsPerQuery;

// Priority classes, served in this order on each endpoint.
enum Class { kFreshDue = 0, kPastMax = 1, kYoungDue = 2, kOldDue = 3, kClasses = 4 };

int64_t since(std::optional<int64_t> t, int64_t now) {
  return t ? now - *t : std::numeric_limits<int64_t>::max();
}

// The calls this plan may spend on an endpoint: its share of per_minute x minutes. A
// fraction of a call is one call with that probability (unit: uniform in [0,1)), so
// plans that each get 1.85 calls spend 1.85 on average, not 1.
int64_t budget_calls(double per_minute, const PlanInput &in, double share) {
  double calls = per_minute * in.minutes * std::clamp(share, 0.0, 1.0);
  if (calls <= 0) return 0;
  double whole = std::floor(calls + 1e-9);
  return static_cast<int64_t>(whole) + (calls - whole > 1e-9 && in.share_unit < calls - whole ? 1 : 0);
}
int64_t budget_calls(double per_minute, const PlanInput &in) { return budget_calls(per_minute, in, in.share); }

struct Demand {
  size_t store;
  int64_t calls;
  int64_t key;  // staleness of the store's most overdue item in the class: older first
};

// Max-min fair share of `budget` calls over `d`: every demand is met if it fits;
// otherwise every store gets the same level L (smaller demands in full), and the
// calls that cannot go round go to the stalest keys. Returns grants parallel to `d`.
// Linear in d (times log of the largest demand): no sort over stores, so planning
// 10,000 stores costs ten times 1,000, not more.
std::vector<int64_t> water_fill(const std::vector<Demand> &d, int64_t &budget, int64_t &steps) {
  std::vector<int64_t> grant(d.size(), 0);
  int64_t total = 0, most = 0;
  for (const Demand &x : d) {
    total += x.calls;
    most = std::max(most, x.calls);
  }
  steps += static_cast<int64_t>(d.size());
  if (total <= budget) {
    for (size_t i = 0; i < d.size(); ++i) grant[i] = d[i].calls;
    budget -= total;
    return grant;
  }
  auto filled = [&](int64_t level) {
    int64_t sum = 0;
    for (const Demand &x : d) sum += std::min(x.calls, level);
    steps += static_cast<int64_t>(d.size());
    return sum;
  };
  int64_t lo = 0, hi = most;  // filled(lo) <= budget < filled(hi)
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (filled(mid) <= budget ? lo : hi) = mid;
  }
  std::vector<size_t> above;  // stores that could take one more call than the level
  for (size_t i = 0; i < d.size(); ++i) {
    grant[i] = std::min(d[i].calls, lo);
    budget -= grant[i];
    if (d[i].calls > lo) above.push_back(i);
  }
  steps += static_cast<int64_t>(d.size());
  size_t extra = static_cast<size_t>(std::min<int64_t>(budget, static_cast<int64_t>(above.size())));
  if (extra > 0 && extra < above.size()) {
    std::nth_element(above.begin(), above.begin() + static_cast<std::ptrdiff_t>(extra), above.end(),
                     [&](size_t a, size_t b) {
                       ++steps;
                       return d[a].key != d[b].key ? d[a].key < d[b].key : d[a].store < d[b].store;
                     });
  }
  for (size_t j = 0; j < extra; ++j) ++grant[above[j]];
  budget -= static_cast<int64_t>(extra);
  return grant;
}

// The fresh tier's class on an endpoint (known posts to find, fresh videos, accounts of
// stores with one): never stretched for another store's young or old work, so it may
// spend up to fresh_share of the budget whatever this plan's share; what it takes comes
// off the share (`budget`) first, the rest of the store's work gets what is left.
std::vector<int64_t> fill_fresh(const std::vector<Demand> &d, int64_t &budget, double per_minute, const PlanInput &in,
                                int64_t &steps) {
  int64_t room = std::max(budget, budget_calls(per_minute, in, std::max(in.share, in.fresh_share)));
  int64_t before = room;
  auto g = water_fill(d, room, steps);
  budget = std::max<int64_t>(0, budget - (before - room));
  return g;
}

struct Candidate {
  const VideoState *v;
  int64_t key;
  Tier tier;
};

}  // namespace

const char *tier_name(Tier t) {
  switch (t) {
    case Tier::kFresh: return "fresh";
    case Tier::kYoung: return "young";
    case Tier::kOld: return "old";
  }
  return "old";
}

Tier tier_of(int64_t create_time, int64_t now, const TierSettings &t) {
  int64_t age = now - create_time;
  if (age < t.fresh_age) return Tier::kFresh;
  if (age < t.young_age) return Tier::kYoung;
  return Tier::kOld;
}

int64_t interval_of(Tier tier, const TierSettings &t) {
  switch (tier) {
    case Tier::kFresh: return t.fresh_interval;
    case Tier::kYoung: return t.young_interval;
    case Tier::kOld: return t.old_interval;
  }
  return t.old_interval;
}

int64_t next_due(int64_t create_time, std::optional<int64_t> last_observed, const TierSettings &t) {
  if (!last_observed) return create_time;
  // Intervals grow with age, so the first tier whose interval, counted from the last
  // observation, still lands inside that tier decides.
  int64_t fresh = *last_observed + t.fresh_interval;
  if (tier_of(create_time, fresh, t) == Tier::kFresh) return fresh;
  int64_t young = *last_observed + t.young_interval;
  if (tier_of(create_time, young, t) != Tier::kOld) return std::max(young, create_time + t.fresh_age);
  return std::max(*last_observed + t.old_interval, create_time + t.young_age);
}

Plan plan_refresh(const std::vector<StoreState> &stores, const PlanInput &in) {
  Plan p;
  // What falls due within `lead` seconds (the next plan's) is due now, but never more
  // than half an interval early: a video is not read twice as often as its tier asks.
  const int64_t now = in.now;
  const int64_t lead = std::max<int64_t>(0, in.lead);
  auto reached = [lead](int64_t age, int64_t interval) { return age >= interval - std::min(lead, interval / 2); };
  const TierSettings &T = in.tiers;
  const int64_t discovery_interval = T.discovery_interval > 0 ? T.discovery_interval : T.fresh_interval;
  const size_t n = stores.size();
  std::vector<StorePlan> plans(n);
  for (size_t s = 0; s < n; ++s) plans[s].store = s;
  std::vector<char> pass_ends(n, 0);  // the pages planned finish the store's pass
  // Discovery due and nothing posted known: a user/info read can stand in for it (a
  // count that did not grow found nothing, so no list call is needed). Set to its key:
  // the store's last look for posts (stalest first, as the list discovery is).
  std::vector<std::optional<int64_t>> stand_in_key(n);
  std::vector<char> list_looks(n, 0);  // the store's list reading of this plan starts at the top
  // A pass under way continues from its cursor: its pages never read the top, so they
  // discover nothing, and a discovery due meanwhile is a call of its own. (A pass that
  // starts now reads from the top: its first page is the discovery.)
  auto under_way = [&stores](size_t s) { return stores[s].full_pass_pages_left > 0; };

  // --- video/list: overdue passes, discovery, due passes ---------------------------
  {
    int64_t budget = budget_calls(in.budget.list_per_minute, in);
    p.list.budget = budget;
    std::vector<Demand> overdue, due_pass, discover, posted;
    std::vector<int64_t> pass_pages(n, 0);  // pages the store's due pass still needs
    // A store granted a discovery, whose pass starts now (from the top), has paid for its
    // pass's first page with that call: taken off the pass's demand once (a second time
    // asked a one-page pass for -1 pages, which another store got over the budget).
    std::vector<char> top_paid(n, 0);
    auto pay_top = [&](Demand &d) {
      if (plans[d.store].discover && !under_way(d.store) && !top_paid[d.store]) {
        d.calls -= 1;
        top_paid[d.store] = 1;
      }
    };
    int64_t all_pass_pages = 0;
    for (size_t s = 0; s < n; ++s) {
      ++p.steps;
      const StoreState &st = stores[s];
      all_pass_pages += std::max<int64_t>(1, (st.video_count + kIds - 1) / kIds);
      int64_t pass_since = since(st.last_full_pass, now);
      bool in_progress = under_way(s);
      if (in_progress || reached(pass_since, T.old_interval)) {
        ++p.passes_due;
        int64_t pages = in_progress ? st.full_pass_pages_left : std::max<int64_t>(1, (st.video_count + kIds - 1) / kIds);
        pass_pages[s] = pages;
        p.list.demand += pages;
        Demand d{s, pages, st.last_full_pass.value_or(kNever)};
        (reached(pass_since, T.old_max_interval) ? overdue : due_pass).push_back(d);
      }
      std::optional<int64_t> last_disc = st.last_discovery;
      if (st.last_full_pass && (!last_disc || *st.last_full_pass > *last_disc)) last_disc = st.last_full_pass;
      // A user/info read whose video_count did not grow checked for posts as well as a
      // discovery would (a post and a deletion in between cancel out: the pass sees them).
      bool count_checked = st.reported_video_count && *st.reported_video_count <= st.video_count;
      if (count_checked && st.last_user_info && (!last_disc || *st.last_user_info > *last_disc))
        last_disc = st.last_user_info;
      // Posted since: a count grown in a user/info read no discovery has followed yet (a
      // count that stays above, say for videos video/list does not return, asks once).
      bool has_posted = st.reported_video_count && *st.reported_video_count > st.video_count && st.last_user_info &&
                        (!last_disc || *st.last_user_info >= *last_disc);
      // Not held back by a pass under way: with a short list budget a pass lasts days,
      // and the fresh tier's posts must not wait for it.
      if (has_posted || reached(since(last_disc, now), discovery_interval)) {
        ++p.discoveries_due;
        if (!pass_pages[s] || in_progress) ++p.list.demand;  // a pass's first page from the top discovers
        (has_posted ? posted : discover).push_back({s, 1, last_disc.value_or(kNever)});
        // Only where the count can tell: one that stays above the videos tthub knows
        // (private videos, a catalogue not listed in full yet) would read as a post
        // at every look, each followed by a list call that finds nothing.
        if (!has_posted && (!st.reported_video_count || *st.reported_video_count <= st.video_count))
          stand_in_key[s] = last_disc.value_or(kNever);
      }
    }
    auto g = fill_fresh(posted, budget, in.budget.list_per_minute, in, p.steps);
    for (size_t i = 0; i < posted.size(); ++i) plans[posted[i].store].discover = g[i] > 0;
    // A posted discovery granted just above is its overdue pass's first page, whatever
    // else the pass gets.
    for (Demand &d : overdue) pay_top(d);
    g = water_fill(overdue, budget, p.steps);
    for (size_t i = 0; i < overdue.size(); ++i) {
      StorePlan &sp = plans[overdue[i].store];
      bool top = sp.discover && !under_way(overdue[i].store);
      sp.list_pages = g[i] + (top ? 1 : 0);
      if (top) sp.discover = false;
    }
    // The passes' reserve: every catalogue read once per old_max_interval is this many
    // pages per second of the tiers' time (x 1.25, so a pass done late catches up); this
    // plan gets the whole pages that rate accrues over [now, now + period), so plans of
    // any length add up to the rate without carrying state. Stalest passes first.
    {
      double period = in.period > 0 ? static_cast<double>(in.period) : in.minutes * 60.0;
      double rate = static_cast<double>(all_pass_pages) * 1.25 / static_cast<double>(std::max<int64_t>(1, T.old_max_interval));
      double t0 = static_cast<double>(in.now);
      int64_t reserve = static_cast<int64_t>(std::floor(rate * (t0 + period)) - std::floor(rate * t0));
      reserve = std::min(reserve, budget);
      for (Demand &d : due_pass) pay_top(d);
      int64_t before = reserve;
      auto gr = water_fill(due_pass, reserve, p.steps);
      budget -= before - reserve;
      for (size_t i = 0; i < due_pass.size(); ++i) {
        StorePlan &sp = plans[due_pass[i].store];
        if (gr[i] > 0) {
          bool top = sp.discover && !under_way(due_pass[i].store);
          sp.list_pages = gr[i] + (top ? 1 : 0);
          if (top) sp.discover = false;
        }
        due_pass[i].calls -= gr[i];
      }
    }
    std::vector<Demand> disc_left;
    for (const Demand &d : discover)
      if ((!plans[d.store].list_pages || under_way(d.store)) && !plans[d.store].discover) disc_left.push_back(d);
    g = water_fill(disc_left, budget, p.steps);
    for (size_t i = 0; i < disc_left.size(); ++i) plans[disc_left[i].store].discover = g[i] > 0;
    // A store whose discovery was granted (here) gets its pass's first page for that call
    // (a posted discovery's was paid before the reserve, whatever the reserve gave).
    for (Demand &d : due_pass)
      if (!plans[d.store].list_pages) pay_top(d);
    g = water_fill(due_pass, budget, p.steps);
    for (size_t i = 0; i < due_pass.size(); ++i) {
      StorePlan &sp = plans[due_pass[i].store];
      bool top = sp.discover && !under_way(due_pass[i].store);
      if (g[i] > 0 || (top && due_pass[i].calls == 0 && !sp.list_pages)) {
        sp.list_pages += g[i] + (top ? 1 : 0);
        if (top) sp.discover = false;
      }
    }
    for (size_t s = 0; s < n; ++s) {
      StorePlan &sp = plans[s];
      if (sp.list_pages > 0 && sp.list_pages >= pass_pages[s]) pass_ends[s] = 1;
      p.list.planned += sp.list_pages + (sp.discover ? 1 : 0);
      if (sp.list_pages > 0) ++p.passes_planned;
      // A new pass reads from the top: it discovers too.
      list_looks[s] = sp.discover || (sp.list_pages > 0 && !under_way(s));
      if (list_looks[s]) ++p.discoveries_planned;
    }
  }

  // --- video/query: fresh, past the old floor, young, old -----------------------------
  {
    int64_t budget = budget_calls(in.budget.query_per_minute, in);
    p.query.budget = budget;
    // Per store, its due candidates by class, stalest first.
    std::vector<std::array<std::vector<Candidate>, kClasses>> due(n);
    // The pass reads this video within this plan (see the header): only then may
    // video/query leave it, whatever pass is in progress.
    auto read_by_pass = [&](size_t s, const VideoState &v) {
      int64_t pages = plans[s].list_pages;
      if (pages <= 0) return false;
      if (v.pass_rank) return *v.pass_rank < pages * kIds;
      return pass_ends[s] != 0;
    };
    std::vector<char> has_due(n, 0);
    std::vector<size_t> with_due;
    for (size_t s = 0; s < n; ++s) {
      for (const VideoState &v : stores[s].videos) {
        ++p.steps;
        Tier tier = tier_of(v.create_time, now, T);
        TierReport &tr = p.tiers[static_cast<int>(tier)];
        ++tr.videos;
        int64_t age = since(v.last_observed, now);
        if (!reached(age, interval_of(tier, T))) continue;
        ++tr.due;
        if (tier != Tier::kFresh && read_by_pass(s, v)) {
          ++tr.by_pass;
          continue;
        }
        int cls = tier == Tier::kFresh ? kFreshDue
                  : tier == Tier::kYoung ? kYoungDue
                  : reached(age, T.old_max_interval) ? kPastMax
                                                     : kOldDue;
        due[s][cls].push_back({&v, v.last_observed.value_or(kNever), tier});
        if (!has_due[s]) {
          has_due[s] = 1;
          with_due.push_back(s);
        }
      }
    }
    for (size_t s : with_due)
      for (auto &list : due[s])
        std::sort(list.begin(), list.end(), [&](const Candidate &a, const Candidate &b) {
          ++p.steps;
          if (a.key != b.key) return a.key < b.key;
          return a.v->create_time < b.v->create_time;
        });
    std::vector<int64_t> calls(n, 0), assigned(n, 0);
    std::vector<std::vector<const Candidate *>> chosen(n);
    // Each class list is taken from its front: next[i][cls] of it are chosen.
    std::vector<std::array<size_t, kClasses>> next(with_due.size());
    auto take = [&](size_t i, int cls, int64_t count) {
      size_t s = with_due[i];
      auto &list = due[s][cls];
      size_t &k = next[i][cls];
      for (int64_t c = 0; c < count && k < list.size(); ++c, ++k) {
        chosen[s].push_back(&list[k]);
        ++assigned[s];
        ++p.steps;
      }
    };
    for (int cls = 0; cls < kClasses; ++cls) {
      std::vector<Demand> demand;
      for (size_t i = 0; i < with_due.size(); ++i) {
        size_t s = with_due[i];
        auto &list = due[s][cls];
        if (list.empty()) continue;
        take(i, cls, calls[s] * kIds - assigned[s]);  // rides along in calls already bought
        int64_t rest = static_cast<int64_t>(list.size() - next[i][cls]);
        if (rest <= 0) continue;
        int64_t need = (rest + kIds - 1) / kIds;
        p.query.demand += need;
        demand.push_back({i, need, list[next[i][cls]].key});
      }
      auto g = cls == kFreshDue ? fill_fresh(demand, budget, in.budget.query_per_minute, in, p.steps)
                                : water_fill(demand, budget, p.steps);
      for (size_t k = 0; k < demand.size(); ++k) {
        if (!g[k]) continue;
        size_t i = demand[k].store;
        calls[with_due[i]] += g[k];
        take(i, cls, g[k] * kIds);
      }
    }
    for (size_t i = 0; i < with_due.size(); ++i) {
      size_t s = with_due[i];
      auto &batches = plans[s].query_batches;
      for (const Candidate *c : chosen[s]) {
        if (batches.empty() || batches.back().size() == static_cast<size_t>(kIds)) batches.emplace_back();
        batches.back().push_back(c->v->video_id);
        ++p.tiers[static_cast<int>(c->tier)].planned;
      }
      p.query.planned += static_cast<int64_t>(batches.size());
      // What stays due is the stretched part of each tier.
      for (int cls = 0; cls < kClasses; ++cls) {
        const auto &list = due[s][cls];
        for (size_t k = next[i][cls]; k < list.size(); ++k) {
          ++p.steps;
          const Candidate &c = list[k];
          TierReport &tr = p.tiers[static_cast<int>(c.tier)];
          ++tr.left;
          int64_t age = c.v->last_observed ? in.now - *c.v->last_observed : in.now - c.v->create_time;
          if (!tr.oldest_left_age || age > *tr.oldest_left_age) tr.oldest_left_age = age;
        }
      }
    }
  }

  // --- user/info: at the store's fastest tier ------------------------------------------
  {
    int64_t budget = budget_calls(in.budget.user_info_per_minute, in);
    p.user_info.budget = budget;
    std::array<std::vector<Demand>, kClasses + 1> by_class;  // + accounts read to look for posts
    std::vector<Tier> store_tier(n, Tier::kOld);
    for (size_t s = 0; s < n; ++s) {
      ++p.steps;
      const StoreState &st = stores[s];
      Tier tier = st.newest_create_time ? tier_of(*st.newest_create_time, now, T) : Tier::kOld;
      store_tier[s] = tier;
      int64_t age = since(st.last_user_info, now);
      if (!reached(age, interval_of(tier, T))) {
        // Not due: read only as the discovery of a store whose list discovery did not
        // fit the list budget (one call to look for posts, never two).
        if (stand_in_key[s] && !list_looks[s]) by_class[kClasses].push_back({s, 1, *stand_in_key[s]});
        continue;
      }
      ++p.tiers[static_cast<int>(tier)].accounts_due;
      ++p.user_info.demand;
      int cls = tier == Tier::kFresh ? kFreshDue
                : tier == Tier::kYoung ? kYoungDue
                : reached(age, T.old_max_interval) ? kPastMax
                                                   : kOldDue;
      by_class[cls].push_back({s, 1, st.last_user_info.value_or(kNever)});
    }
    for (int cls = 0; cls <= kClasses; ++cls) {
      auto &d = by_class[cls];
      auto g = cls == kFreshDue ? fill_fresh(d, budget, in.budget.user_info_per_minute, in, p.steps)
                                : water_fill(d, budget, p.steps);
      for (size_t i = 0; i < d.size(); ++i)
        if (g[i]) {
          plans[d[i].store].user_info = true;
          plans[d[i].store].user_info_discovers = cls == kClasses;
          if (cls == kClasses) ++p.discoveries_planned;
          ++p.user_info.planned;
          if (cls < kClasses) ++p.tiers[static_cast<int>(store_tier[d[i].store])].accounts_planned;
        }
    }
  }

  for (StorePlan &sp : plans)
    if (sp.user_info || sp.discover || sp.list_pages > 0 || !sp.query_batches.empty()) p.stores.push_back(std::move(sp));
  return p;
}

std::array<AchievedInterval, kTiers> achieved_intervals(const std::vector<VideoState> &videos, int64_t now,
                                                        const TierSettings &t) {
  std::array<std::vector<int64_t>, kTiers> ages;
  for (const VideoState &v : videos)
    ages[static_cast<int>(tier_of(v.create_time, now, t))].push_back(
        v.last_observed ? now - *v.last_observed : now - v.create_time);
  std::array<AchievedInterval, kTiers> out{};
  for (int i = 0; i < kTiers; ++i) {
    auto &a = ages[i];
    out[i].videos = static_cast<int64_t>(a.size());
    if (a.empty()) continue;
    std::sort(a.begin(), a.end());
    auto at = [&](double q) { return a[std::min(a.size() - 1, static_cast<size_t>(q * static_cast<double>(a.size())))]; };
    out[i].p50 = at(0.50);
    out[i].p95 = at(0.95);
    out[i].max = a.back();
  }
  return out;
}

}  // namespace tthub::refresh
