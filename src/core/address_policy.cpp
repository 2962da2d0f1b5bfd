#include "core/address_policy.h"

#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace tthub {
namespace {

uint32_t v4_at(const uint8_t *b) { return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3]; }

bool internal_v4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000u, 8) ||           // 0/8: "this host"
         in(0x0A000000u, 8) ||           // 10/8
         in(0x64400000u, 10) ||          // 100.64/10 carrier-grade NAT
         in(0x7F000000u, 8) ||           // 127/8 loopback: the database host's own ports
         in(0xA9FE0000u, 16) ||          // 169.254/16 link-local, cloud metadata
         in(0xAC100000u, 12) ||          // 172.16/12
         in(0xC0000000u, 24) ||          // 192.0.0/24 IETF protocol assignments
         in(0xC0A80000u, 16) ||          // 192.168/16
         in(0xC6120000u, 15) ||          // 198.18/15 benchmarking
         in(0xE0000000u, 4) ||           // 224/4 multicast
         in(0xF0000000u, 4);             // 240/4 reserved, broadcast
}

// The IPv4 address an RFC 6052 translator prefix of `bits` carries (byte 8, the
// "u" octet, is skipped).
uint32_t nat64_v4(const uint8_t *b, int bits) {
  uint8_t v4[4];
  int from = bits / 8, k = 0;
  for (int i = from; k < 4; ++i)
    if (i != 8) v4[k++] = b[i];
  return v4_at(v4);
}

bool internal_v6(const uint8_t *b) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static const uint8_t kCompatible[12] = {};
  static const uint8_t kNat64[12] = {0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
  static const uint8_t kNat64Local[6] = {0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01};
  // ::ffff:a.b.c.d, and ::a.b.c.d (which covers :: and ::1 as 0.0.0.0 and 0.0.0.1).
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kCompatible, 12) == 0) return internal_v4(v4_at(b + 12));
  if (std::memcmp(b, kNat64, 12) == 0) return internal_v4(v4_at(b + 12));  // 64:ff9b::/96
  if (std::memcmp(b, kNat64Local, 6) == 0) {
    // 64:ff9b:1::/48 (RFC 8215): the operator chooses a prefix of 48 to 96 bits, so
    // where the IPv4 address sits is not known here. Every layout that fits (the u
    // octet and the suffix after the IPv4 address zero, as RFC 6052 has them) must
    // lead to a public address.
    if (b[8] != 0) return true;
    for (int bits : {48, 56, 64, 96}) {
      int suffix_from = bits / 8 + 4 + (bits <= 64 ? 1 : 0);
      bool fits = true;
      for (int i = suffix_from; i < 16; ++i) fits = fits && b[i] == 0;
      if (fits && internal_v4(nat64_v4(b, bits))) return true;
    }
    return false;
  }
  if (b[0] == 0x20 && b[1] == 0x02) return internal_v4(v4_at(b + 2));  // 2002:a.b.c.d::/48, 6to4
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
    // Teredo 2001:0::/32: the server's address, and the client's (inverted) at the end.
    uint8_t client[4] = {static_cast<uint8_t>(~b[12]), static_cast<uint8_t>(~b[13]), static_cast<uint8_t>(~b[14]),
                         static_cast<uint8_t>(~b[15])};
    return internal_v4(v4_at(b + 4)) || internal_v4(v4_at(client));
  }
  return (b[0] & 0xFE) == 0xFC ||                  // fc00::/7 unique local
         (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) ||  // fe80::/10 link-local
         (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) ||  // fec0::/10 site-local (deprecated, still routed inside)
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
