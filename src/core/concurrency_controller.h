// How many syncs the engine keeps running so that TikTok's rate budget is used
// whatever the API's latency. Each running sync has at most one request on the wire,
// so syncs running = requests in flight, and Little's law gives the number needed:
// in flight = rate x latency. The latency is measured: the least of the last responses,
// as TCP's BBR takes the least round trip, because an average would count the time a
// response waits for the worker itself (busy writing other pages), and running more
// syncs would then raise it further: a loop that ends at the bound whatever the API;
// the answer is bounded by tthub.max_concurrent_syncs, and an AIMD ceiling halves it
// when TikTok answers 429 and lets it grow back by one per round of successes. The
// sliding-window limiters still pace every request: this only decides how many syncs
// stand ready to use the slots. Time is passed in, so it is testable.
#pragma once

#include <cstdint>


namespace tthub {

class ConcurrencyController {
 public:
  struct Options {
    int requests_per_minute = 600;  // per endpoint; video/list carries nearly all requests
    int max_in_flight = 64;         // tthub.max_concurrent_syncs
    int64_t initial_latency_ms = 1000;  // assumed until the first response is measured
  };

  explicit ConcurrencyController(Options options);

  // A response (any status) arrived latency_ms after its request was sent.
  void on_response(int64_t now_ms, int64_t latency_ms, bool rate_limited);

  // Syncs to keep running now (>= 1).
  int target() const;
  int64_t latency_ms() const;
  double ceiling() const { return ceiling_; }

 private:
  static constexpr int kSamples = 50;  // the latency is the least of the last this many
  Options options_;
  int64_t samples_[kSamples];
  int sample_count_ = 0;
  int next_sample_ = 0;
  double ceiling_;
  int64_t last_cut_ms_ = -1;
};

}  // namespace tthub
