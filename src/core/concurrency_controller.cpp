#include "core/concurrency_controller.h"

#include <algorithm>
#include <cmath>

namespace tthub {
namespace {

// Besides the requests on the wire, a sync spends a little time between them
// (writing the page, waiting for its limiter slot): a margin keeps the wire full.
// The margin also covers latency that varies around its least value.
constexpr double kHeadroom = 1.5;
constexpr int kSpareSyncs = 2;

}  // namespace

ConcurrencyController::ConcurrencyController(Options options)
    : options_(options),
      samples_{},
      ceiling_(static_cast<double>(std::max(1, options.max_in_flight))) {
  options_.max_in_flight = std::max(1, options_.max_in_flight);
  options_.requests_per_minute = std::max(1, options_.requests_per_minute);
}

int64_t ConcurrencyController::latency_ms() const {
  if (sample_count_ == 0) return std::max<int64_t>(1, options_.initial_latency_ms);
  return *std::min_element(samples_, samples_ + sample_count_);
}

void ConcurrencyController::on_response(int64_t now_ms, int64_t latency_ms, bool rate_limited) {
  samples_[next_sample_] = std::max<int64_t>(1, latency_ms);
  next_sample_ = (next_sample_ + 1) % kSamples;
  sample_count_ = std::min(sample_count_ + 1, kSamples);
  if (rate_limited) {
    // One burst of 429s answers requests sent together: cut once per round trip.
    int64_t round = std::max<int64_t>(1000, this->latency_ms());
    if (last_cut_ms_ < 0 || now_ms - last_cut_ms_ >= round) {
      ceiling_ = std::max(1.0, std::min(ceiling_, static_cast<double>(target())) / 2);
      last_cut_ms_ = now_ms;
    }
  } else {
    ceiling_ = std::min(static_cast<double>(options_.max_in_flight), ceiling_ + 1.0 / ceiling_);
  }
}

int ConcurrencyController::target() const {
  double per_ms = options_.requests_per_minute / 60000.0;
  double needed = std::ceil(per_ms * static_cast<double>(latency_ms()) * kHeadroom) + kSpareSyncs;
  double t = std::min({needed, std::floor(ceiling_), static_cast<double>(options_.max_in_flight)});
  return std::max(1, static_cast<int>(t));
}

}  // namespace tthub
