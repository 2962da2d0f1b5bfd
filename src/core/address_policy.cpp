#include "core/address_policy.h"

#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace tthub {
namespace {

bool internal_v4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  if (in(0x7F000000u, 8)) return false;  // 127/8 loopback: allowed
  return in(0x00000000u, 8) ||           // 0/8: "this host"
         in(0x0A000000u, 8) ||           // 10/8
         in(0x64400000u, 10) ||          // 100.64/10 carrier-grade NAT
         in(0xA9FE0000u, 16) ||          // 169.254/16 link-local, cloud metadata
         in(0xAC100000u, 12) ||          // 172.16/12
         in(0xC0000000u, 24) ||          // 192.0.0/24 IETF protocol assignments
         in(0xC0A80000u, 16) ||          // 192.168/16
         in(0xC6120000u, 15) ||          // 198.18/15 benchmarking
         in(0xE0000000u, 4) ||           // 224/4 multicast
         in(0xF0000000u, 4);             // 240/4 reserved, broadcast
}

bool internal_v6(const uint8_t *b) {
  static const uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t kUnspecified[16] = {};
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(b, kLoopback, 16) == 0) return false;
  if (std::memcmp(b, kUnspecified, 16) == 0) return true;
  if (std::memcmp(b, kMapped, 12) == 0)
    return internal_v4(uint32_t{b[12]} << 24 | uint32_t{b[13]} << 16 | uint32_t{b[14]} << 8 | b[15]);
  return (b[0] & 0xFE) == 0xFC ||                  // fc00::/7 unique local
         (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) ||  // fe80::/10 link-local
         b[0] == 0xFF;                              // ff00::/8 multicast
}

}  // namespace

bool is_internal_address(const sockaddr *address, socklen_t length) {
  if (!address) return true;
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    return internal_v4(ntohl(v4.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    return internal_v6(v6.sin6_addr.s6_addr);
  }
  return true;  // any other family (unix sockets...) is never a webhook's
}

}  // namespace tthub
