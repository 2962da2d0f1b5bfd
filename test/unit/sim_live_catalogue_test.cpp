// The simulator's live mode (test/sim/live_catalogue.h): the launch curve, catalogues
// spread over the past, posts and deletions in simulated time, the compressed clock.
#include "live_catalogue.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

using namespace sim;

TEST(SimLaunchCurve, AThirdInTheFirstDayOverHalfInTheFirstWeek) {
  double lifetime = launch_share(int64_t{10} * 365 * 86400);
  EXPECT_GT(lifetime, 0.99);
  double day = launch_share(86400) / lifetime, week = launch_share(7 * 86400) / lifetime;
  EXPECT_GT(day, 0.30);
  EXPECT_LT(day, 0.40);
  EXPECT_GT(week, 0.50);
  EXPECT_LT(week, 0.60);
  // Fast when young, slow when old: views per hour fall with age.
  double first_hour = launch_share(3600), hour_at_30d = launch_share(30 * 86400 + 3600) - launch_share(30 * 86400);
  EXPECT_GT(first_hour, 50 * hour_at_30d);
  EXPECT_EQ(launch_share(0), 0);
  EXPECT_EQ(launch_share(-5), 0);
}

TEST(SimLiveCatalogue, SpreadOverThePastUniqueIncreasingTimes) {
  LiveSettings s;
  s.history_days = 100;
  LiveAccount a;
  int64_t now = 1800000000;
  a.build(7, 500, s, now);
  ASSERT_EQ(a.videos.size(), 500u);
  std::set<std::string> ids;
  for (size_t i = 0; i < a.videos.size(); ++i) {
    ids.insert(a.videos[i].id);
    EXPECT_LT(a.videos[i].create_time, now);
    EXPECT_GE(a.videos[i].create_time, now - 101 * 86400);
    if (i) {
      EXPECT_GT(a.videos[i].create_time, a.videos[i - 1].create_time);
    }
  }
  EXPECT_EQ(ids.size(), 500u);
  // Spread, not bunched: some in the last 2 days, most older than 30.
  int fresh = 0, old = 0;
  for (const auto &v : a.videos) {
    fresh += now - v.create_time < 2 * 86400;
    old += now - v.create_time > 30 * 86400;
  }
  EXPECT_GT(fresh, 0);
  EXPECT_GT(old, 300);
  // Deterministic per account.
  LiveAccount b;
  b.build(7, 500, s, now);
  EXPECT_EQ(b.videos[123].id, a.videos[123].id);
  EXPECT_EQ(b.videos[123].create_time, a.videos[123].create_time);
}

TEST(SimLiveCatalogue, PostsAndDeletionsHappenAtTheirRateInSimulatedTime) {
  LiveSettings s;
  s.post_per_day = 24;
  s.delete_per_day = 2;
  LiveAccount a;
  int64_t now = 1800000000;
  a.build(1, 100, s, now);
  int posted = 0, deleted = 0;
  for (int day = 1; day <= 10; ++day) {
    auto [p, d] = a.advance(s, now + day * 86400);
    posted += p;
    deleted += d;
  }
  EXPECT_GT(posted, 240 * 0.7);
  EXPECT_LT(posted, 240 * 1.3);
  EXPECT_GT(deleted, 5);
  EXPECT_LT(deleted, 40);
  EXPECT_EQ(a.visible(), a.videos.size() - static_cast<size_t>(deleted));
  for (size_t i = 1; i < a.videos.size(); ++i) ASSERT_GT(a.videos[i].create_time, a.videos[i - 1].create_time);
  ASSERT_NE(a.find(a.videos.back().id), nullptr);
  EXPECT_TRUE(a.delete_video(a.videos.back().id, now));
  EXPECT_FALSE(a.delete_video(a.videos.back().id, now));  // once
  EXPECT_EQ(a.find("no-such-id"), nullptr);
}

TEST(SimLiveCatalogue, CountersGrowAndNeverShrink) {
  LiveVideo v;
  v.create_time = 1000;
  v.lifetime_views = 1000000;
  int64_t last = -1;
  for (int64_t t = 1000; t < 1000 + 90 * 86400; t += 3600) {
    auto s = live_stats(v, t);
    ASSERT_GE(s.views, last);
    last = s.views;
  }
  EXPECT_GT(last, 900000);
}

TEST(SimClock, CompressesTimeAndStaysContinuousWhenTheSpeedChanges) {
  SimClock c;
  c.set(1000, 3600);  // an hour a second
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int64_t t = c.now();
  EXPECT_GE(t, 1000 + 150);
  EXPECT_LT(t, 1000 + 3600);
  c.set_speed(1);
  EXPECT_GE(c.now(), t);
  c.advance(86400);
  EXPECT_GE(c.now(), t + 86400);
}
