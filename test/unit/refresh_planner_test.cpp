// The refresh planner: tiers, priorities, stretching, fairness across stores, the
// per-endpoint budgets, and its own cost.
#include "core/refresh_planner.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace tthub::refresh;

namespace {
constexpr int64_t H = 3600, D = 86400;
constexpr int64_t kNow = 1800000000;

TierSettings defaults() { return TierSettings{}; }

PlanInput input(double list, double query, double user_info) {
  PlanInput in;
  in.now = kNow;
  in.budget = {list, query, user_info};
  in.minutes = 1;
  return in;
}

// A store whose list, discovery and account reads are all recent: only videos due.
StoreState store(const std::string &code) {
  StoreState s;
  s.store_code = code;
  s.last_user_info = s.last_discovery = s.last_full_pass = kNow - 60;
  return s;
}

VideoState video(const std::string &id, int64_t age, std::optional<int64_t> since_observed) {
  VideoState v;
  v.video_id = id;
  v.create_time = kNow - age;
  if (since_observed) v.last_observed = kNow - *since_observed;
  return v;
}

std::map<std::string, std::string> planned_ids(const Plan &p, const std::vector<StoreState> &stores) {
  std::map<std::string, std::string> out;  // video id -> store
  for (const auto &sp : p.stores)
    for (const auto &b : sp.query_batches) {
      EXPECT_GE(b.size(), 1u);
      EXPECT_LE(b.size(), 20u);
      for (const auto &id : b) {
        EXPECT_TRUE(out.emplace(id, stores[sp.store].store_code).second) << "planned twice: " << id;
      }
    }
  return out;
}

int64_t query_calls(const Plan &p) {
  int64_t n = 0;
  for (const auto &sp : p.stores) n += static_cast<int64_t>(sp.query_batches.size());
  return n;
}
}  // namespace

TEST(Tiers, ByAgeWithTheIssuesDefaults) {
  auto t = defaults();
  EXPECT_EQ(tier_of(kNow - 47 * H, kNow, t), Tier::kFresh);
  EXPECT_EQ(tier_of(kNow - 48 * H, kNow, t), Tier::kYoung);
  EXPECT_EQ(tier_of(kNow - 29 * D, kNow, t), Tier::kYoung);
  EXPECT_EQ(tier_of(kNow - 30 * D, kNow, t), Tier::kOld);
  EXPECT_EQ(tier_of(kNow + 5, kNow, t), Tier::kFresh);  // a clock a little ahead: fresh, not an error
  EXPECT_EQ(interval_of(Tier::kFresh, t), H);
  EXPECT_EQ(interval_of(Tier::kYoung, t), D);
  EXPECT_EQ(interval_of(Tier::kOld, t), D);
}

TEST(Tiers, NextDueFollowsTheTierAtThatTime) {
  auto t = defaults();
  int64_t posted = kNow;
  EXPECT_EQ(next_due(posted, std::nullopt, t), posted);             // never observed: due at once
  EXPECT_EQ(next_due(posted, posted + 10 * H, t), posted + 11 * H);  // fresh: hourly
  // Observed at 47.5 h: the hour lands in the young tier, so daily from that observation.
  EXPECT_EQ(next_due(posted, posted + 47 * H + 1800, t), posted + 47 * H + 1800 + D);
  EXPECT_EQ(next_due(posted, posted + 10 * D, t), posted + 11 * D);
  EXPECT_EQ(next_due(posted, posted + 40 * D, t), posted + 41 * D);
}

TEST(Tiers, CompressedSecondsWork) {
  TierSettings t;
  t.fresh_age = 48;  // a "day" of 24 s: tests compress time, minimum 1 s
  t.fresh_interval = 1;
  t.young_age = 720;
  t.young_interval = 24;
  t.old_interval = 24;
  t.old_max_interval = 168;
  std::vector<StoreState> s{store("a")};
  s[0].last_full_pass = s[0].last_discovery = kNow;  // 60 s ago would be past a compressed day
  s[0].videos = {video("1", 10, 1), video("2", 100, 23), video("3", 1000, 24)};
  auto in = input(600, 600, 600);
  in.tiers = t;
  auto p = plan_refresh(s, in);
  auto ids = planned_ids(p, s);
  EXPECT_TRUE(ids.count("1"));
  EXPECT_FALSE(ids.count("2"));
  EXPECT_TRUE(ids.count("3"));
  s[0].last_full_pass = kNow - 25;  // a compressed day ago: the pass reads young and old
  p = plan_refresh(s, in);
  EXPECT_EQ(p.stores[0].list_pages, 1);
  EXPECT_EQ(planned_ids(p, s).size(), 1u);
}

TEST(Planner, DueIsTheTiersInterval) {
  std::vector<StoreState> s{store("a")};
  s[0].videos = {video("fresh-due", 5 * H, H), video("fresh-not", 5 * H, H - 1), video("young-due", 3 * D, D),
                 video("young-not", 3 * D, 23 * H), video("old-due", 90 * D, D), video("old-not", 90 * D, D - 1),
                 video("never", 100 * D, std::nullopt)};
  auto p = plan_refresh(s, input(600, 600, 600));
  auto ids = planned_ids(p, s);
  EXPECT_EQ(ids.size(), 4u);
  for (auto id : {"fresh-due", "young-due", "old-due", "never"}) EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_EQ(query_calls(p), 1);  // one store, 4 ids: one call
  EXPECT_EQ(p.tiers[0].due, 1);
  EXPECT_EQ(p.tiers[1].due, 1);
  EXPECT_EQ(p.tiers[2].due, 2);
  EXPECT_EQ(p.tiers[2].videos, 3);
}

TEST(Planner, FreshBeforeYoungBeforeOldWhenTheBudgetIsShort) {
  std::vector<StoreState> s{store("a"), store("b"), store("c")};
  for (int i = 0; i < 20; ++i) {
    s[0].videos.push_back(video("old" + std::to_string(i), 60 * D, 6 * D));
    s[1].videos.push_back(video("young" + std::to_string(i), 10 * D, 2 * D));
    s[2].videos.push_back(video("fresh" + std::to_string(i), 10 * H, H));
  }
  auto p = plan_refresh(s, input(600, 1, 600));
  auto ids = planned_ids(p, s);
  ASSERT_EQ(ids.size(), 20u);
  for (auto &[id, st] : ids) EXPECT_EQ(st, "c") << id;
  p = plan_refresh(s, input(600, 2, 600));
  ids = planned_ids(p, s);
  ASSERT_EQ(ids.size(), 40u);
  for (auto &[id, st] : ids) EXPECT_NE(st, "a") << id;
  EXPECT_EQ(p.tiers[2].left, 20);  // the old tier is what stretches
  EXPECT_EQ(p.tiers[0].left, 0);
  EXPECT_EQ(*p.tiers[2].oldest_left_age, 6 * D);
  EXPECT_EQ(p.query.planned, 2);
  EXPECT_EQ(p.query.budget, 2);
  EXPECT_EQ(p.query.demand, 3);
}

TEST(Planner, FreshIsNeverStretchedEvenWhenEverythingElseIsOverdue) {
  std::vector<StoreState> s;
  for (int k = 0; k < 50; ++k) {
    s.push_back(store("s" + std::to_string(k)));
    s.back().videos.push_back(video("f" + std::to_string(k), H, H));
    for (int i = 0; i < 40; ++i) s.back().videos.push_back(video(std::to_string(k) + "-" + std::to_string(i), 400 * D, 9 * D));
  }
  auto p = plan_refresh(s, input(600, 50, 600));
  EXPECT_EQ(p.tiers[0].planned, 50);
  EXPECT_EQ(p.tiers[0].left, 0);
  EXPECT_GT(p.tiers[2].left, 0);
  EXPECT_EQ(p.query.planned, 50);  // the whole budget spent
}

TEST(Planner, WithinATierTheLongestUnobservedFirst) {
  std::vector<StoreState> s{store("a"), store("b"), store("c")};
  s[0].videos = {video("a1", 40 * D, 2 * D)};
  s[1].videos = {video("b1", 40 * D, 5 * D)};
  s[2].videos = {video("c1", 40 * D, 3 * D)};
  auto p = plan_refresh(s, input(600, 1, 600));
  auto ids = planned_ids(p, s);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_TRUE(ids.count("b1"));
  // Within one store too: its 20 stalest of 30.
  std::vector<StoreState> one{store("x")};
  for (int i = 0; i < 30; ++i) one[0].videos.push_back(video("v" + std::to_string(i), 40 * D, D + i * 60));
  p = plan_refresh(one, input(600, 1, 600));
  ids = planned_ids(p, one);
  ASSERT_EQ(ids.size(), 20u);
  for (int i = 10; i < 30; ++i) EXPECT_TRUE(ids.count("v" + std::to_string(i))) << i;
}

TEST(Planner, ACallBoughtForFreshVideosCarriesYoungAndOldOnes) {
  std::vector<StoreState> s{store("a")};
  for (int i = 0; i < 3; ++i) s[0].videos.push_back(video("f" + std::to_string(i), H, H));
  for (int i = 0; i < 10; ++i) s[0].videos.push_back(video("y" + std::to_string(i), 5 * D, D));
  for (int i = 0; i < 10; ++i) s[0].videos.push_back(video("o" + std::to_string(i), 50 * D, D + i));
  auto p = plan_refresh(s, input(600, 1, 600));
  auto ids = planned_ids(p, s);
  EXPECT_EQ(ids.size(), 20u);  // 3 fresh + 10 young + the 7 stalest old in the one call
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(ids.count("y" + std::to_string(i)));
  for (int i = 3; i < 10; ++i) EXPECT_TRUE(ids.count("o" + std::to_string(i))) << i;
  EXPECT_EQ(query_calls(p), 1);
}

TEST(Planner, OldPastItsMaximumComesBeforeYoung) {
  std::vector<StoreState> s{store("young"), store("old")};
  for (int i = 0; i < 20; ++i) s[0].videos.push_back(video("y" + std::to_string(i), 5 * D, 2 * D));
  for (int i = 0; i < 20; ++i) s[1].videos.push_back(video("o" + std::to_string(i), 50 * D, 7 * D));
  auto p = plan_refresh(s, input(600, 1, 600));
  auto ids = planned_ids(p, s);
  ASSERT_EQ(ids.size(), 20u);
  for (auto &[id, st] : ids) EXPECT_EQ(st, "old");
}

TEST(Planner, OneHugeStoreDoesNotStarveTenThousandSmallOnes) {
  std::vector<StoreState> s;
  s.push_back(store("huge"));
  for (int i = 0; i < 50000; ++i) s[0].videos.push_back(video("h" + std::to_string(i), 100 * D, 6 * D));
  for (int k = 1; k < 10000; ++k) {
    s.push_back(store("s" + std::to_string(k)));
    for (int i = 0; i < 5; ++i) s.back().videos.push_back(video(std::to_string(k) + "-" + std::to_string(i), 100 * D, 2 * D));
  }
  // Enough for one call each and a little more: every small store is served, the
  // huge one gets the rest, though its videos are the stalest.
  auto p = plan_refresh(s, input(600, 12000, 600));
  std::map<std::string, int> calls;
  for (const auto &sp : p.stores) calls[s[sp.store].store_code] = static_cast<int>(sp.query_batches.size());
  for (int k = 1; k < 10000; ++k) ASSERT_EQ(calls["s" + std::to_string(k)], 1) << k;
  EXPECT_EQ(calls["huge"], 12000 - 9999);
  EXPECT_EQ(p.query.planned, 12000);
  // Fewer calls than stores: nobody gets a second call while a store with due work
  // gets none, and the stalest (the huge store's) go first.
  p = plan_refresh(s, input(600, 5000, 600));
  int served = 0;
  for (const auto &sp : p.stores) {
    EXPECT_LE(sp.query_batches.size(), 1u);
    served += sp.query_batches.empty() ? 0 : 1;
  }
  EXPECT_EQ(served, 5000);
  bool huge_served = false;
  for (const auto &sp : p.stores) huge_served |= sp.store == 0 && !sp.query_batches.empty();
  EXPECT_TRUE(huge_served);
}

TEST(Planner, AccountStatsFollowTheStoresFastestTier) {
  std::vector<StoreState> s{store("fresh"), store("young"), store("old"), store("empty")};
  s[0].newest_create_time = kNow - 10 * H;
  s[1].newest_create_time = kNow - 10 * D;
  s[2].newest_create_time = kNow - 100 * D;
  for (auto &st : s) st.last_user_info = kNow - 2 * H;
  auto infos = [&](const Plan &p) {
    std::set<std::string> out;
    for (const auto &sp : p.stores)
      if (sp.user_info) out.insert(s[sp.store].store_code);
    return out;
  };
  // Only the fresh store's account is due; a budget of one call goes to it.
  auto p = plan_refresh(s, input(600, 600, 1));
  EXPECT_EQ(infos(p), std::set<std::string>{"fresh"});
  EXPECT_EQ(p.tiers[0].accounts_due, 1);
  EXPECT_EQ(p.tiers[1].accounts_due + p.tiers[2].accounts_due, 0);
  // A budget for everything reads no account before its tier asks: the others looked
  // for posts a minute ago (store()), so no read stands in for a discovery either.
  p = plan_refresh(s, input(600, 600, 600));
  EXPECT_EQ(infos(p), std::set<std::string>{"fresh"});
  EXPECT_EQ(p.tiers[0].accounts_planned, 1);
  for (auto &st : s) st.last_user_info = kNow - H / 2;
  EXPECT_TRUE(infos(plan_refresh(s, input(600, 600, 600))).empty());
  for (auto &st : s) st.last_user_info = kNow - D;
  p = plan_refresh(s, input(600, 600, 1));
  ASSERT_EQ(p.user_info.planned, 1);
  EXPECT_EQ(infos(p), std::set<std::string>{"fresh"});  // due ones first, the fresh tier first
  EXPECT_EQ(p.user_info.demand, 4);
}

// A store looks for posts with one call: a list discovery when the list budget has one,
// else a user/info read (a count that did not grow found nothing). Both were planned,
// every fresh interval, for every store whose account was not due: the tiers spent
// 1.13x "full sync + fresh tier" in bench/freshness_db.sh (a).
TEST(Planner, AStoresLookForPostsIsOneCall) {
  std::vector<StoreState> s{store("fresh"), store("young"), store("old"), store("posted")};
  s[0].newest_create_time = kNow - 10 * H;
  s[1].newest_create_time = kNow - 10 * D;
  s[2].newest_create_time = kNow - 100 * D;
  s[3].newest_create_time = kNow - 100 * D;
  for (size_t k = 0; k < s.size(); ++k) {
    s[k].video_count = 10;
    s[k].last_user_info = kNow - 2 * H - static_cast<int64_t>(k);
    s[k].last_discovery = s[k].last_full_pass = kNow - 3 * H + static_cast<int64_t>(k);  // stalest first
  }
  s[3].reported_video_count = 11;  // posted: found by this read
  s[3].last_user_info = kNow - 2 * H;  // after its last discovery
  auto by_code = [&](const Plan &p) {
    std::map<std::string, const StorePlan *> out;
    for (const auto &sp : p.stores) out[s[sp.store].store_code] = &sp;
    return out;
  };
  // Budget for everything: every store discovers by list; only the fresh store's
  // account, which its tier makes due, is read beside it.
  Plan p = plan_refresh(s, input(600, 600, 600));
  auto m = by_code(p);
  for (const char *c : {"fresh", "young", "old", "posted"}) {
    ASSERT_TRUE(m.count(c)) << c;
    EXPECT_TRUE(m[c]->discover) << c;
  }
  EXPECT_TRUE(m["fresh"]->user_info);
  EXPECT_FALSE(m["fresh"]->user_info_discovers);
  for (const char *c : {"young", "old", "posted"}) EXPECT_FALSE(m[c]->user_info) << c;
  EXPECT_EQ(p.list.planned + p.user_info.planned, 5);
  // One list call: the posted store's (posts known to find go first). The others look
  // with user/info instead, counted as their discovery; the fresh store's read is its
  // due one and looks as well.
  p = plan_refresh(s, input(1, 600, 600));
  m = by_code(p);
  ASSERT_TRUE(m.count("posted"));
  EXPECT_TRUE(m["posted"]->discover);
  EXPECT_FALSE(m["posted"]->user_info);
  for (const char *c : {"young", "old"}) {
    ASSERT_TRUE(m.count(c)) << c;
    EXPECT_FALSE(m[c]->discover) << c;
    EXPECT_TRUE(m[c]->user_info) << c;
    EXPECT_TRUE(m[c]->user_info_discovers) << c;
  }
  EXPECT_TRUE(m["fresh"]->user_info);
  EXPECT_FALSE(m["fresh"]->user_info_discovers);
  // No list budget: a store known to have posted needs the list call; a user/info
  // read would only say so again.
  p = plan_refresh(s, input(0, 600, 600));
  m = by_code(p);
  EXPECT_FALSE(m.count("posted") && m["posted"]->user_info);
  EXPECT_TRUE(m.count("young") && m["young"]->user_info_discovers);
}

// Which list reading is a look for posts: a pass that starts now reads from the top
// (no user/info stands in beside it); a pass under way reads on from its cursor (a
// user/info read may stand in for the discovery the budget left out).
TEST(Planner, OnlyAListReadingFromTheTopIsALookForPosts) {
  std::vector<StoreState> s{store("starts"), store("under_way")};
  for (auto &st : s) {
    st.newest_create_time = kNow - 100 * D;
    st.video_count = 100;  // 5 pages
    st.last_user_info = kNow - 2 * H;
    st.last_discovery = kNow - 2 * H;
  }
  s[0].last_full_pass = kNow - 2 * D;  // due, starts at the top
  s[1].last_full_pass = kNow - 8 * D;  // overdue, and under way
  s[1].full_pass_pages_left = 5;
  // 5 list calls: the overdue pass takes them all, the discovery of neither fits.
  Plan p = plan_refresh(s, input(5, 600, 600));
  const StorePlan *starts = nullptr, *under_way = nullptr;
  for (const auto &sp : p.stores) (sp.store == 0 ? starts : under_way) = &sp;
  ASSERT_TRUE(under_way);
  EXPECT_EQ(under_way->list_pages, 5);
  EXPECT_FALSE(under_way->discover);
  EXPECT_TRUE(under_way->user_info_discovers);
  EXPECT_TRUE(!starts || starts->user_info_discovers);  // no list call: it stands in
  // With budget for both passes, the one that starts at the top is the look.
  p = plan_refresh(s, input(600, 600, 600));
  starts = under_way = nullptr;
  for (const auto &sp : p.stores) (sp.store == 0 ? starts : under_way) = &sp;
  ASSERT_TRUE(starts && under_way);
  EXPECT_GT(starts->list_pages, 0);
  EXPECT_FALSE(starts->user_info);
  EXPECT_TRUE(under_way->discover);  // beside the pass, a call of its own
  EXPECT_FALSE(under_way->user_info);
}

// A count that stays above the videos tthub knows (private videos video/list does not
// return) cannot tell a post: no user/info read stands in for such a store's discovery,
// or each would read as a post and cost a list call that finds nothing.
TEST(Planner, NoUserInfoStandsInWhereTheCountCannotTell) {
  std::vector<StoreState> s{store("private")};
  s[0].newest_create_time = kNow - 100 * D;
  s[0].video_count = 10;
  s[0].reported_video_count = 11;
  s[0].last_user_info = kNow - 3 * H;
  s[0].last_discovery = s[0].last_full_pass = kNow - 2 * H;  // looked after that count: due again, not posted
  Plan p = plan_refresh(s, input(0, 600, 600));
  EXPECT_EQ(p.discoveries_due, 1);
  EXPECT_TRUE(p.stores.empty());
  s[0].reported_video_count = 10;  // a count that can tell: the read stands in
  p = plan_refresh(s, input(0, 600, 600));
  ASSERT_EQ(p.stores.size(), 1u);
  EXPECT_TRUE(p.stores[0].user_info_discovers);
  EXPECT_EQ(p.discoveries_planned, 1);
}

TEST(Planner, AGrownVideoCountMakesDiscoveryFirst) {
  std::vector<StoreState> s{store("posted"), store("quiet")};
  for (auto &st : s) {
    st.video_count = 100;
    st.last_discovery = st.last_full_pass = kNow - 2 * H;  // both due for discovery
  }
  s[0].reported_video_count = 101;
  s[1].reported_video_count = 100;
  auto p = plan_refresh(s, input(1, 600, 600));
  ASSERT_EQ(p.stores.size(), 1u);
  EXPECT_EQ(s[p.stores[0].store].store_code, "posted");
  EXPECT_TRUE(p.stores[0].discover);
  s[0].last_discovery = kNow - 60;  // even when discovery ran a minute ago
  p = plan_refresh(s, input(1, 600, 600));
  ASSERT_EQ(p.stores.size(), 1u);
  EXPECT_EQ(s[p.stores[0].store].store_code, "posted");
  // A recent user/info whose count did not grow stands for a discovery.
  s[1].last_user_info = kNow - 60;
  p = plan_refresh(s, input(600, 600, 600));
  for (const auto &sp : p.stores) EXPECT_FALSE(s[sp.store].store_code == "quiet" && sp.discover);
  s[1].last_user_info = kNow - 2 * H;
  p = plan_refresh(s, input(600, 600, 600));
  bool quiet_discovers = false;
  for (const auto &sp : p.stores) quiet_discovers |= s[sp.store].store_code == "quiet" && sp.discover;
  EXPECT_TRUE(quiet_discovers);
}

TEST(Planner, PassesGetTheirReserveBeforeDiscoverySoTheyDoNotPileUpAtTheFloor) {
  // 100 stores of 1,000 videos, all passes due (not overdue), all discoveries due, and
  // a list budget smaller than the discoveries: the passes still get the pages a weekly
  // read of every catalogue needs (5,000 pages / 7 days x 1.25 = 37.2 an hour), the
  // stalest first, before discovery takes the rest.
  std::vector<StoreState> s;
  for (int k = 0; k < 100; ++k) {
    s.push_back(store("s" + std::to_string(k)));
    s.back().video_count = 1000;
    s.back().last_full_pass = kNow - 2 * D - k;
    s.back().last_discovery = kNow - 2 * H;
  }
  auto in = input(80, 600, 600);
  in.period = 3600;  // an hour of the tiers' time in this plan's minute (compressed)
  auto p = plan_refresh(s, in);
  int64_t pages = 0, discover = 0;
  int64_t stalest_with_pages = 1000;
  for (const auto &sp : p.stores) {
    pages += sp.list_pages;
    discover += sp.discover;
    if (sp.list_pages) stalest_with_pages = std::min<int64_t>(stalest_with_pages, static_cast<int64_t>(sp.store));
  }
  EXPECT_GE(pages, 37);
  EXPECT_LE(pages, 38);
  EXPECT_EQ(pages + discover, 80);
  EXPECT_GE(stalest_with_pages, 100 - 38);  // the stalest passes got the pages
  // Over a week of such plans the reserve adds up to the rate, whatever the plan length
  // (60 calls per 7-minute plan: discovery takes all the rest).
  in.budget.list_per_minute = 60.0 / 7;
  int64_t total = 0;
  for (int m = 0; m < 4 * 24 * 60; m += 7) {  // 4 days: before any pass is overdue
    in.now = kNow + m * 60;
    in.period = 7 * 60;
    in.minutes = 7;
    auto q = plan_refresh(s, in);
    for (const auto &sp : q.stores) total += sp.list_pages;
  }
  EXPECT_NEAR(static_cast<double>(total), 5000 * 1.25 * 4 / 7, 5);
}

TEST(Planner, ListBudgetGoesToOverduePassesThenDiscoveryThenDuePasses) {
  std::vector<StoreState> s{store("due"), store("disc"), store("overdue")};
  s[0].last_full_pass = kNow - 2 * D;
  s[0].video_count = 200;
  s[1].last_discovery = s[1].last_full_pass = kNow - 2 * H;
  s[2].last_full_pass = kNow - 7 * D;
  s[2].video_count = 60;
  auto p = plan_refresh(s, input(4, 600, 600));
  std::map<std::string, StorePlan> by;
  for (const auto &sp : p.stores) by[s[sp.store].store_code] = sp;
  EXPECT_EQ(by["overdue"].list_pages, 3);
  EXPECT_TRUE(by["disc"].discover);
  EXPECT_FALSE(by.count("due"));
  EXPECT_EQ(p.list.planned, 4);
}

TEST(Planner, APassCoversYoungAndOldVideosButNotFreshOnes) {
  std::vector<StoreState> s{store("a")};
  s[0].last_full_pass = kNow - 2 * D;
  s[0].video_count = 3;
  s[0].videos = {video("f", H, H), video("y", 5 * D, 2 * D), video("o", 50 * D, 2 * D)};
  auto p = plan_refresh(s, input(600, 600, 600));
  auto ids = planned_ids(p, s);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_TRUE(ids.count("f"));
  EXPECT_EQ(p.tiers[1].by_pass, 1);
  EXPECT_EQ(p.tiers[2].by_pass, 1);
  // No list budget: no pass, so video/query observes them.
  p = plan_refresh(s, input(0, 600, 600));
  EXPECT_EQ(planned_ids(p, s).size(), 3u);
}

// Issue 19 (b): with a list budget short of a pass a day, a pass lasts days. It must
// not keep video/query idle meanwhile: only what its planned pages read is left to it.
TEST(Planner, ALongPassInProgressLeavesOverdueYoungAndOldVideosToQuery) {
  std::vector<StoreState> s{store("a")};
  s[0].video_count = 10000;
  s[0].full_pass_pages_left = 400;  // days of pages at this list budget
  for (int i = 0; i < 30; ++i) s[0].videos.push_back(video("y" + std::to_string(i), 5 * D, 2 * D));
  for (int i = 0; i < 30; ++i) s[0].videos.push_back(video("o" + std::to_string(i), 90 * D, 3 * D));
  auto p = plan_refresh(s, input(2, 600, 600));
  ASSERT_EQ(p.stores.size(), 1u);
  EXPECT_EQ(p.stores[0].list_pages, 2);  // the pass keeps going at what the list budget gives
  auto ids = planned_ids(p, s);
  EXPECT_EQ(ids.size(), 60u);  // and video/query reads every overdue video meanwhile
  EXPECT_EQ(query_calls(p), 3);
  EXPECT_EQ(p.tiers[1].by_pass + p.tiers[2].by_pass, 0);
  EXPECT_EQ(p.tiers[1].planned, 30);
  // The same with no list budget at all: nothing planned for the pass, same queries.
  p = plan_refresh(s, input(0, 600, 600));
  EXPECT_EQ(planned_ids(p, s).size(), 60u);
}

// A pass under way reads on from its cursor, never the top: a discovery due meanwhile
// is planned beside it (with a short list budget the pass lasts days, and new posts
// are the fresh tier's), and goes before the pass's pages.
TEST(Planner, ADiscoveryDueDuringALongPassIsPlannedBesideIt) {
  std::vector<StoreState> s{store("a")};
  s[0].video_count = 10000;
  s[0].full_pass_pages_left = 400;
  s[0].last_full_pass = kNow - 2 * D;  // the pass before this one
  s[0].last_discovery = kNow - 2 * H;
  auto p = plan_refresh(s, input(2, 600, 600));
  ASSERT_EQ(p.stores.size(), 1u);
  EXPECT_TRUE(p.stores[0].discover);
  EXPECT_EQ(p.stores[0].list_pages, 1);  // the other list call goes on with the pass
  EXPECT_EQ(p.discoveries_due, 1);
  EXPECT_EQ(p.discoveries_planned, 1);
  EXPECT_EQ(p.list.planned, 2);
  // One list call: the discovery, not the pass.
  p = plan_refresh(s, input(1, 600, 600));
  ASSERT_EQ(p.stores.size(), 1u);
  EXPECT_TRUE(p.stores[0].discover);
  EXPECT_EQ(p.stores[0].list_pages, 0);
  // Discovery recent: the pass has every call, as before.
  s[0].last_discovery = kNow - 60;
  p = plan_refresh(s, input(3, 600, 600));
  EXPECT_FALSE(p.stores[0].discover);
  EXPECT_EQ(p.stores[0].list_pages, 3);
}

TEST(Planner, APassLeavesToItselfOnlyTheVideosItsPlannedPagesRead) {
  std::vector<StoreState> s{store("a")};
  s[0].video_count = 1000;
  s[0].full_pass_pages_left = 40;
  s[0].videos = {video("next", 50 * D, 2 * D), video("page2", 50 * D, 2 * D), video("later", 50 * D, 2 * D),
                 video("listed", 50 * D, 2 * D), video("unknown", 50 * D, 2 * D), video("f", H, H)};
  s[0].videos[0].pass_rank = 3;
  s[0].videos[1].pass_rank = 25;
  s[0].videos[2].pass_rank = 45;
  s[0].videos[3].pass_rank = int64_t{1} << 60;  // this pass listed it already
  auto p = plan_refresh(s, input(2, 600, 600));  // two pages: ranks 0..39
  ASSERT_EQ(p.stores[0].list_pages, 2);
  auto ids = planned_ids(p, s);
  EXPECT_EQ(ids.size(), 4u);
  for (auto id : {"later", "listed", "unknown", "f"}) EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_EQ(p.tiers[2].by_pass, 2);
  // Pages that finish the pass: an unranked video is the pass's too; a rank still decides.
  s[0].full_pass_pages_left = 2;
  ids = planned_ids(plan_refresh(s, input(2, 600, 600)), s);
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_FALSE(ids.count("unknown"));
  for (auto id : {"later", "listed", "f"}) EXPECT_TRUE(ids.count(id)) << id;
}

TEST(Planner, AShareOfTheBudgetSpendsItsFractionOnAverage) {
  std::vector<StoreState> s{store("a")};
  for (int i = 0; i < 2000; ++i) s[0].videos.push_back(video("v" + std::to_string(i), 50 * D, 2 * D));
  auto in = input(600, 37, 600);
  in.share = 1.0 / 20;  // 1.85 calls
  in.share_unit = 0.9;
  EXPECT_EQ(query_calls(plan_refresh(s, in)), 1);
  in.share_unit = 0.8;
  EXPECT_EQ(query_calls(plan_refresh(s, in)), 2);
  int64_t total = 0;
  for (int k = 0; k < 100; ++k) {
    in.share_unit = (k + 0.5) / 100;
    total += query_calls(plan_refresh(s, in));
  }
  EXPECT_EQ(total, 185);
  in.share = 1;  // the default drops a fraction, as before
  in.share_unit = 1;
  in.minutes = 0.99;
  EXPECT_EQ(plan_refresh(s, in).query.budget, 36);
}

// One store's plan among 20 (share 1/20): its fresh work may spend more than the
// share (fresh_share), its young and old work only what the fresh work left of it.
// Held to the share, a store with a fresh video got what a store with only old ones
// got, and under a short budget the fresh tier stretched (bench/freshness_db.sh (b)).
TEST(Planner, AStoresFreshWorkIsNotHeldToAnEqualShare) {
  std::vector<StoreState> s{store("a")};
  for (int i = 0; i < 45; ++i) s[0].videos.push_back(video("f" + std::to_string(i), 5 * H, 2 * H));  // 3 calls
  for (int i = 0; i < 100; ++i) s[0].videos.push_back(video("o" + std::to_string(i), 50 * D, 2 * D));
  s[0].newest_create_time = kNow - 5 * H;
  s[0].last_user_info = kNow - 2 * H;  // its account is due (fresh tier)
  s[0].video_count = 145;
  s[0].reported_video_count = 146;  // and it posted since its last look: a discovery to make
  s[0].last_discovery = s[0].last_full_pass = kNow - 3 * H;
  auto in = input(10, 40, 10);
  in.share = 1.0 / 20;  // 0.5 list, 2 query, 0.5 user/info calls
  auto fresh_ids = [](const Plan &p) {
    int64_t fresh = 0, old = 0;
    for (const auto &sp : p.stores)
      for (const auto &b : sp.query_batches)
        for (const auto &id : b) ++(id[0] == 'f' ? fresh : old);
    return std::make_pair(fresh, old);
  };
  Plan held = plan_refresh(s, in);
  EXPECT_EQ(fresh_ids(held), (std::pair<int64_t, int64_t>{40, 0}));  // two calls, both fresh
  ASSERT_EQ(held.stores.size(), 1u);
  EXPECT_FALSE(held.stores[0].user_info);  // half a call, dropped
  EXPECT_FALSE(held.stores[0].discover);
  in.fresh_share = 1;
  Plan p = plan_refresh(s, in);
  ASSERT_EQ(p.stores.size(), 1u);
  // Every fresh video (3 calls, over the share of 2), and no old one: the fresh calls
  // took the whole share. The third call's 15 free ids carry old videos.
  EXPECT_EQ(query_calls(p), 3);
  EXPECT_EQ(fresh_ids(p), (std::pair<int64_t, int64_t>{45, 15}));
  EXPECT_EQ(p.tiers[0].left, 0);
  EXPECT_TRUE(p.stores[0].user_info);  // the fresh store's account
  EXPECT_TRUE(p.stores[0].discover);   // the posted discovery
  // What fresh work took comes off the share: with 5 calls, 3 carry the fresh videos
  // (and 15 old ones) and 2 are left for 40 more old ones.
  in.share = 1.0 / 8;
  p = plan_refresh(s, in);
  EXPECT_EQ(query_calls(p), 5);
  EXPECT_EQ(fresh_ids(p), (std::pair<int64_t, int64_t>{45, 55}));
  // The whole budget caps fresh work too.
  in.share = 1.0 / 20;
  in.budget.query_per_minute = 2;
  EXPECT_EQ(query_calls(plan_refresh(s, in)), 2);
}

TEST(Planner, AGrownCountAsksForDiscoveryOnceNotAfterADiscoveryFollowedIt) {
  std::vector<StoreState> s{store("a")};
  s[0].video_count = 100;
  s[0].reported_video_count = 103;  // say, private videos video/list does not return
  s[0].last_user_info = kNow - 120;
  s[0].last_discovery = kNow - 60;  // looked after that count
  s[0].last_full_pass = kNow - 3 * H;
  auto p = plan_refresh(s, input(600, 600, 600));
  EXPECT_EQ(p.discoveries_due, 0);
  s[0].last_user_info = kNow - 30;  // a newer read: asks again
  p = plan_refresh(s, input(600, 600, 600));
  EXPECT_EQ(p.discoveries_due, 1);
}

TEST(Planner, APassUnderWayContinuesFairly) {
  std::vector<StoreState> s{store("big"), store("small")};
  s[0].full_pass_pages_left = 2000;
  s[1].last_full_pass = kNow - 8 * D;
  s[1].video_count = 10;
  auto p = plan_refresh(s, input(100, 600, 600));
  std::map<std::string, StorePlan> by;
  for (const auto &sp : p.stores) by[s[sp.store].store_code] = sp;
  EXPECT_EQ(by["small"].list_pages, 1);
  EXPECT_EQ(by["big"].list_pages, 99);
}

TEST(Planner, LeadPlansWhatFallsDueBeforeTheNextPlan) {
  std::vector<StoreState> s{store("a")};
  s[0].videos = {video("f", 5 * H, H - 240), video("y", 5 * D, D - 600)};
  auto in = input(600, 600, 600);
  EXPECT_TRUE(planned_ids(plan_refresh(s, in), s).empty());
  in.lead = 300;  // the next plan runs in 5 minutes: the fresh one would be 4 minutes late
  auto ids = planned_ids(plan_refresh(s, in), s);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_TRUE(ids.count("f"));
}

TEST(Planner, LeadIsAtMostHalfOfEachInterval) {
  // A store planned about once a minute while a day is 72 s (compressed): a young video
  // falls due between two plans; reading it up to half an interval early keeps it
  // within its day, and a fresh one (3 s) is still not read more than twice as often.
  TierSettings t;
  t.fresh_age = 144;
  t.fresh_interval = 3;
  t.young_age = 2160;
  t.young_interval = t.old_interval = 72;
  t.old_max_interval = 504;
  std::vector<StoreState> s{store("a")};
  s[0].last_full_pass = s[0].last_discovery = s[0].last_user_info = kNow;
  s[0].videos = {video("y-40", 1000, 40), video("y-30", 1000, 30), video("f-2", 10, 2), video("f-1", 10, 1)};
  auto in = input(600, 600, 600);
  in.tiers = t;
  in.lead = 50;
  auto ids = planned_ids(plan_refresh(s, in), s);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids.count("y-40"));  // 40 >= 72 - 36
  EXPECT_TRUE(ids.count("f-2"));   // 2 >= 3 - 1
  in.lead = 0;
  EXPECT_TRUE(planned_ids(plan_refresh(s, in), s).empty());
}

TEST(Planner, BudgetIsPerMinuteTimesTheMinutesPlanned) {
  std::vector<StoreState> s{store("a")};
  for (int i = 0; i < 2000; ++i) s[0].videos.push_back(video("v" + std::to_string(i), 50 * D, 2 * D));
  auto in = input(600, 30, 600);
  in.minutes = 0.5;
  auto p = plan_refresh(s, in);
  EXPECT_EQ(p.query.budget, 15);
  EXPECT_EQ(query_calls(p), 15);
}

TEST(AchievedInterval, PercentilesOfTheAgeOfEachLatestObservationPerTier) {
  std::vector<VideoState> v;
  for (int i = 1; i <= 100; ++i) v.push_back(video("f" + std::to_string(i), H, i * 60));
  v.push_back(video("o", 90 * D, 3 * D));
  v.push_back(video("never", 40 * D, std::nullopt));
  auto a = achieved_intervals(v, kNow, defaults());
  EXPECT_EQ(a[0].videos, 100);
  EXPECT_EQ(a[0].p50, 51 * 60);
  EXPECT_EQ(a[0].p95, 96 * 60);
  EXPECT_EQ(a[0].max, 100 * 60);
  EXPECT_EQ(a[1].videos, 0);
  EXPECT_EQ(a[2].videos, 2);
  EXPECT_EQ(a[2].max, 40 * D);
}

namespace {
// `stores` stores with `due_each` due videos (fresh, young and old) and 3 not due.
std::vector<StoreState> population(int stores, int due_each, int idle_stores = 0) {
  std::vector<StoreState> s;
  for (int k = 0; k < stores + idle_stores; ++k) {
    s.push_back(store("s" + std::to_string(k)));
    s.back().newest_create_time = kNow - 3 * D;
    if (k >= stores) continue;
    s.back().last_user_info = kNow - 2 * D;
    for (int i = 0; i < due_each; ++i) {
      int64_t age = i % 3 == 0 ? 5 * H : i % 3 == 1 ? 5 * D : 60 * D;
      s.back().videos.push_back(video(std::to_string(k) + "-" + std::to_string(i), age, 2 * D + (k * 7 + i) % 1000));
    }
  }
  return s;
}
}  // namespace

TEST(PlannerCost, TenThousandStoresCostNoMoreThanTheirDueVideos) {
  auto small = population(1000, 30), large = population(10000, 30);
  auto in = input(600, 600, 600);
  Plan ps = plan_refresh(small, in), pl = plan_refresh(large, in);
  int64_t due_small = ps.tiers[0].due + ps.tiers[1].due + ps.tiers[2].due;
  int64_t due_large = pl.tiers[0].due + pl.tiers[1].due + pl.tiers[2].due;
  ASSERT_EQ(due_large, 10 * due_small);
  double per_due_small = static_cast<double>(ps.steps) / static_cast<double>(due_small);
  double per_due_large = static_cast<double>(pl.steps) / static_cast<double>(due_large);
  // Per due video, 10,000 stores cost what 1,000 do (sorting happens within a store only).
  EXPECT_LE(per_due_large, per_due_small * 1.05) << ps.steps << " vs " << pl.steps;
  EXPECT_EQ(pl.query.planned, 600);  // the budget, all of it, and no more
  EXPECT_EQ(pl.user_info.planned, 600);
  // Stores with nothing due cost a constant each, not their catalogue.
  Plan pi = plan_refresh(population(1000, 30, 9000), in);
  EXPECT_LE(pi.steps - ps.steps, 9000 * 8) << pi.steps << " vs " << ps.steps;
}

// A store of one page with posts to find (a grown count), whose full pass was last done
// pass_ago ago, beside a big store whose pass is due; the list budget is 5 calls.
struct PostedBesideBig {
  Plan plan;
  const StorePlan *small = nullptr, *big = nullptr;
  explicit PostedBesideBig(int64_t pass_ago) {
    std::vector<StoreState> s{store("small"), store("big")};
    s[0].video_count = 10;
    s[0].reported_video_count = 11;
    s[0].last_full_pass = kNow - pass_ago;
    s[0].last_discovery = kNow - 120;
    s[0].last_user_info = kNow - 60;
    s[1].video_count = 10000;
    s[1].last_full_pass = kNow - 2 * D;
    plan = plan_refresh(s, input(5, 600, 600));
    for (const StorePlan &sp : plan.stores) (sp.store == 0 ? small : big) = &sp;
  }
};

// When the passes' reserve gives the small store nothing: its one discovery call is its
// pass's first page, counted once. It was taken off the pass's demand twice, and a pass
// of one page asked for -1 pages, which gave the other store one call more than the
// budget (6 of 5).
TEST(Planner, APostedDiscoveryIsTakenOffItsPassOnce) {
  PostedBesideBig x(2 * D);
  ASSERT_TRUE(x.small && x.big);
  EXPECT_LE(x.plan.list.planned, x.plan.list.budget);  // share 1, so fresh_share takes nothing more
  EXPECT_EQ(x.plan.list.planned, 5);
  // The small store's pass is its discovery: one page from the top, which ends it.
  EXPECT_EQ(x.small->list_pages, 1);
  EXPECT_FALSE(x.small->discover);
  EXPECT_EQ(x.big->list_pages, 4);
}

// The same through an overdue pass (past old_max_interval): the budget the discovery
// took is planned, not lost (4 list calls of 5 were planned before).
TEST(Planner, APostedDiscoveryIsAnOverduePassesFirstPage) {
  PostedBesideBig x(8 * D);
  ASSERT_TRUE(x.small && x.big);
  EXPECT_EQ(x.plan.list.planned, 5);
  EXPECT_EQ(x.small->list_pages, 1);
  EXPECT_FALSE(x.small->discover);
  EXPECT_EQ(x.big->list_pages, 4);
}
