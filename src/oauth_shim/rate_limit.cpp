#include "rate_limit.h"

#include <arpa/inet.h>

#include <cstring>

namespace shim {

namespace {
constexpr std::chrono::seconds kWindow{60};
}

bool RateLimiter::allow(const std::string &client, Clock::time_point now, int *retry_after_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = hits_.find(client);
  if (it == hits_.end()) {
    if (hits_.size() >= max_clients_) make_room(now);
    it = hits_.emplace(client, std::deque<Clock::time_point>{}).first;
  }
  std::deque<Clock::time_point> &times = it->second;
  while (!times.empty() && now - times.front() >= kWindow) times.pop_front();
  if (static_cast<int>(times.size()) >= limit_) {
    auto wait = std::chrono::duration_cast<std::chrono::seconds>(kWindow - (now - times.front())).count() + 1;
    *retry_after_seconds = static_cast<int>(wait);
    return false;
  }
  times.push_back(now);
  return true;
}

size_t RateLimiter::tracked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_.size();
}

// Forget clients quiet for a minute; if every tracked client is recent (more
// addresses than max_clients in one minute), forget the one quiet the longest.
void RateLimiter::make_room(Clock::time_point now) {
  for (auto it = hits_.begin(); it != hits_.end();) {
    if (it->second.empty() || now - it->second.back() >= kWindow)
      it = hits_.erase(it);
    else
      ++it;
  }
  if (hits_.size() < max_clients_) return;
  auto oldest = hits_.begin();
  for (auto it = hits_.begin(); it != hits_.end(); ++it)
    if (it->second.back() < oldest->second.back()) oldest = it;
  hits_.erase(oldest);
}

std::string client_key(const std::string &address) {
  in_addr v4;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return address;
  in6_addr v6;
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return "";
  // An IPv4-mapped address is that IPv4 client.
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char text[INET6_ADDRSTRLEN];
  if (std::memcmp(v6.s6_addr, kMapped, 12) == 0) {
    std::memcpy(&v4, v6.s6_addr + 12, 4);
    return inet_ntop(AF_INET, &v4, text, sizeof text) ? text : "";
  }
  std::memset(v6.s6_addr + 8, 0, 8);
  return inet_ntop(AF_INET6, &v6, text, sizeof text) ? std::string(text) + "/64" : "";
}

}  // namespace shim
