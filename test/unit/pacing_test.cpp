#include <gtest/gtest.h>

#include "core/backoff.h"
#include "core/rate_limiter.h"

using tthub::backoff_delay_ms;
using tthub::SlidingWindowLimiter;

TEST(SlidingWindowLimiter, AllowsLimitPerMinuteThenWaitsForTheWindow) {
  SlidingWindowLimiter l(3);
  for (int64_t t : {0, 10, 20}) {
    ASSERT_EQ(l.next_slot(t), t);
    l.record(t);
  }
  EXPECT_EQ(l.next_slot(30), 60000) << "the 4th request waits until the 1st leaves the window";
  l.record(60000);
  EXPECT_EQ(l.next_slot(60000), 60010);
}

TEST(SlidingWindowLimiter, NeverMoreThanLimitInAnyWindow) {
  SlidingWindowLimiter l(10);
  std::vector<int64_t> sent;
  int64_t now = 0;
  while (sent.size() < 100) {
    now = l.next_slot(now);
    l.record(now);
    sent.push_back(now);
    now += 7;
  }
  for (size_t i = 10; i < sent.size(); ++i) EXPECT_GE(sent[i] - sent[i - 10], 60000);
}

TEST(SlidingWindowLimiter, RemembersAtMostLimitSends) {
  SlidingWindowLimiter l(5);
  for (int64_t t = 0; t < 1000; ++t) l.record(t);  // far more than 5 inside one window
  EXPECT_EQ(l.remembered(), 5u);
  EXPECT_EQ(l.next_slot(1000), 995 + 60000) << "the 5th most recent send decides the slot";
}

TEST(SlidingWindowLimiter, BlockAfter429) {
  SlidingWindowLimiter l(100);
  l.block_until(5000);
  EXPECT_EQ(l.next_slot(0), 5000);
  l.block_until(1000);  // an earlier block does not shorten a later one
  EXPECT_EQ(l.next_slot(0), 5000);
}

TEST(Backoff, GrowsDoublesAndCaps) {
  EXPECT_EQ(backoff_delay_ms(1, 1000, 60000, 0.0), 500);
  EXPECT_EQ(backoff_delay_ms(1, 1000, 60000, 1.0), 1000);
  EXPECT_EQ(backoff_delay_ms(3, 1000, 60000, 1.0), 4000);
  EXPECT_EQ(backoff_delay_ms(30, 1000, 60000, 1.0), 60000);
  EXPECT_EQ(backoff_delay_ms(30, 1000, 60000, 0.0), 30000);
  int64_t d = backoff_delay_ms(4, 1000, 60000, 0.37);
  EXPECT_GE(d, 4000);
  EXPECT_LE(d, 8000);
}
