#include <gtest/gtest.h>

#include <queue>
#include <vector>

#include "core/concurrency_controller.h"
#include "core/rate_limiter.h"
#include "core/retry_policy.h"

using tthub::ConcurrencyController;
using tthub::SlidingWindowLimiter;

namespace {

// A simulated clock and TikTok: `syncs` as many as the controller asks for, each with
// one request at a time, paced by a sliding-window limiter; every response takes
// latency_ms. Returns requests answered in [0, duration_ms).
struct SimRun {
  int64_t answered = 0;
  int max_in_flight = 0;
};

SimRun simulate(int rpm, int64_t latency_ms, int max_in_flight, int64_t duration_ms) {
  ConcurrencyController c({rpm, max_in_flight, 1000});
  SlidingWindowLimiter limiter(rpm);
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> responses;  // arrival times
  int ready = 0;  // syncs started and waiting to send
  int running = 0;
  SimRun run;
  for (int64_t now = 0; now < duration_ms; ++now) {
    while (!responses.empty() && responses.top() <= now) {
      responses.pop();
      c.on_response(now, latency_ms, false);
      ++run.answered;
      ++ready;  // the sync's next page
    }
    while (running < c.target()) {  // start syncs (a sync never ends here: endless pages)
      ++running;
      ++ready;
    }
    while (ready > 0 && limiter.next_slot(now) <= now) {
      limiter.record(now);
      responses.push(now + latency_ms);
      --ready;
    }
    run.max_in_flight = std::max(run.max_in_flight, static_cast<int>(responses.size()));
  }
  return run;
}

}  // namespace

TEST(ConcurrencyController, LittlesLawFromTheMeasuredLatency) {
  ConcurrencyController c({600, 64, 1000});
  for (int i = 0; i < 100; ++i) c.on_response(i * 10, 3000, false);
  // 10 requests/s x 3 s = 30 on the wire, plus the margin.
  EXPECT_GE(c.target(), 30);
  EXPECT_LE(c.target(), 50);
  for (int i = 0; i < 200; ++i) c.on_response(10000 + i * 10, 50, false);
  EXPECT_LE(c.target(), 4) << "a fast API needs few syncs";
  EXPECT_GE(c.target(), 1);
}

TEST(ConcurrencyController, ResponsesThatWaitedForTheWorkerDoNotRaiseIt) {
  // A busy worker picks responses up late: their measured latency grows with the
  // number of syncs. The least latency is the API's; the target stays put.
  ConcurrencyController c({6000, 64, 1000});
  for (int i = 0; i < 50; ++i) c.on_response(i, 10, false);
  int fast = c.target();
  for (int i = 0; i < 40; ++i) c.on_response(100 + i, 10 + 5 * i, false);
  EXPECT_EQ(c.target(), fast);
  for (int i = 0; i < 50; ++i) c.on_response(1000 + i, 1000, false);
  EXPECT_GT(c.target(), fast) << "a slower API, once every recent response says so, raises it";
}

TEST(ConcurrencyController, BoundedByTheSetting) {
  ConcurrencyController c({100000, 16, 1000});
  for (int i = 0; i < 50; ++i) c.on_response(i, 5000, false);
  EXPECT_EQ(c.target(), 16);
}

TEST(ConcurrencyController, HalvesOn429OncePerRoundTripAndGrowsBack) {
  ConcurrencyController c({600, 64, 1000});
  for (int i = 0; i < 50; ++i) c.on_response(i, 2000, false);
  int before = c.target();
  c.on_response(100, 2000, true);
  int after_one = c.target();
  EXPECT_LE(after_one, before / 2 + 1);
  c.on_response(150, 2000, true);  // the same burst
  EXPECT_EQ(c.target(), after_one);
  c.on_response(2200, 2000, true);  // a round trip later: cut again
  EXPECT_LT(c.target(), after_one);
  for (int i = 0; i < 2000; ++i) c.on_response(3000 + i, 2000, false);
  EXPECT_EQ(c.target(), before) << "successes restore the ceiling";
}

TEST(ConcurrencyController, FillsTheBudgetAtAnyLatency) {
  // The cases: 600/min at 1 s, 3000/min at 50 ms, and slower APIs.
  struct Case { int rpm; int64_t latency; };
  for (Case k : {Case{600, 1000}, Case{3000, 50}, Case{600, 3000}, Case{3000, 1000}, Case{600, 10}}) {
    // Steady state: 5 minutes after the first, whose burst the window allows.
    int64_t minutes = 6;
    SimRun r = simulate(k.rpm, k.latency, 64, minutes * 60000);
    double rate = static_cast<double>(r.answered) / static_cast<double>(minutes);
    EXPECT_GE(rate, 0.95 * k.rpm) << k.rpm << "/min at " << k.latency << " ms";
    EXPECT_LE(r.max_in_flight, 64);
  }
}

TEST(RetryPolicy, FullJitterCapsAndGrows) {
  EXPECT_EQ(tthub::full_jitter_delay_ms(1, 1000, 30000, 0.0), 0);
  EXPECT_EQ(tthub::full_jitter_delay_ms(1, 1000, 30000, 1.0), 1000);
  EXPECT_EQ(tthub::full_jitter_delay_ms(3, 1000, 30000, 1.0), 4000);
  EXPECT_EQ(tthub::full_jitter_delay_ms(20, 1000, 30000, 1.0), 30000);
  EXPECT_EQ(tthub::full_jitter_delay_ms(2, 1000, 30000, 0.5), 1000);
  EXPECT_TRUE(tthub::is_transient(tthub::tiktok::FailureKind::kRetryable));
  EXPECT_TRUE(tthub::is_transient(tthub::tiktok::FailureKind::kMalformed));
  EXPECT_FALSE(tthub::is_transient(tthub::tiktok::FailureKind::kRateLimited));
  EXPECT_FALSE(tthub::is_transient(tthub::tiktok::FailureKind::kReconnect));
}
