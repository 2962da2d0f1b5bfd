#include "core/address_policy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace {

bool internal(const std::string &text) {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return tthub::is_internal_address(reinterpret_cast<sockaddr *>(&v4), sizeof v4);
  }
  EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr), 1) << text;
  v6.sin6_family = AF_INET6;
  return tthub::is_internal_address(reinterpret_cast<sockaddr *>(&v6), sizeof v6);
}

TEST(AddressPolicy, PublicAddressesMayBeReached) {
  for (const char *a : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                        "::ffff:93.184.216.34", "2a00:1450:4001::200e"})
    EXPECT_FALSE(internal(a)) << a;
}

TEST(AddressPolicy, InternalAddressesAreRefused) {
  for (const char *a : {"0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::", "fc00::1", "fd12:3456::1",
                        "fe80::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0"})
    EXPECT_TRUE(internal(a)) << a;
}

// The database host's own ports: the worker is a superuser on it, and a webhook's
// status and timing would map them for whoever added it.
TEST(AddressPolicy, LoopbackIsInternal) {
  for (const char *a : {"127.0.0.1", "127.255.1.2", "::1", "::ffff:127.0.0.1"}) EXPECT_TRUE(internal(a)) << a;
}

// An IPv6 address that carries an IPv4 one reaches that IPv4 address (a translator,
// a tunnel, or the host's own stack): it is judged by it.
TEST(AddressPolicy, IPv6FormsOfIPv4AreJudgedByTheirIPv4Address) {
  for (const char *a : {"64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.1",  // NAT64 well-known
                        "64:ff9b:1::127.0.0.1", "64:ff9b:1::192.168.0.1",                  // NAT64 local-use, /96
                        // ... with a /64 prefix: 10.0.0.8 and 127.0.0.1, though read as /96
                        // they would be 8.0.0.0 and 1.0.0.0
                        "64:ff9b:1:0:a:0:800:0", "64:ff9b:1:0:7f:0:100:0",
                        "2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:c0a8:101:1::2",        // 6to4
                        "::127.0.0.1", "::10.0.0.1", "::169.254.169.254",                 // IPv4-compatible
                        "2001:0:4136:e378:8000:63bf:80ff:fffe",  // Teredo, client 127.0.0.1
                        "2001:0:a00:1::1"})                       // Teredo, server 10.0.0.1
    EXPECT_TRUE(internal(a)) << a;
  for (const char *a : {"64:ff9b::8.8.8.8", "64:ff9b:1::8.8.8.8", "2002:808:808::1", "::8.8.8.8",
                        "2001:0:4136:e378:8000:63bf:f7f7:f7f7"})  // Teredo, client 8.8.8.8, server 65.54.227.120
    EXPECT_FALSE(internal(a)) << a;
}

TEST(AddressPolicy, SiteLocalIsInternal) {
  for (const char *a : {"fec0::1", "feff:ffff::1", "fed0:1:2::3"}) EXPECT_TRUE(internal(a)) << a;
}

TEST(AddressPolicy, UnknownFamiliesAndShortAddressesAreRefused) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "8.8.8.8", &v4.sin_addr);
  EXPECT_TRUE(tthub::is_internal_address(reinterpret_cast<sockaddr *>(&v4), 4));
  sockaddr unix_like{};
  unix_like.sa_family = AF_UNIX;
  EXPECT_TRUE(tthub::is_internal_address(&unix_like, sizeof unix_like));
  EXPECT_TRUE(tthub::is_internal_address(nullptr, 0));
}

}  // namespace
