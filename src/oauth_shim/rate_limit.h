// Per-client limit on /auth/login: at most N requests in any 60 seconds from one
// client address. Memory is bounded: at most max_clients addresses are tracked, and
// each keeps at most N times.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace shim {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(int per_minute, size_t max_clients = 10000) : limit_(per_minute), max_clients_(max_clients) {}

  // Counts a request from client; false (with the seconds until one is allowed
  // again) when it is over the limit.
  bool allow(const std::string &client, Clock::time_point now, int *retry_after_seconds);
  size_t tracked() const;

 private:
  void make_room(Clock::time_point now);

  const int limit_;
  const size_t max_clients_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> hits_;
};

// The address a client is limited by: IPv4 as is, IPv6 by its /64 (one host
// usually holds a whole /64). Empty for something that is not an address.
std::string client_key(const std::string &address);

}  // namespace shim
