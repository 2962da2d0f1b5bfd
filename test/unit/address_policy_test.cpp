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

TEST(AddressPolicy, PublicAndLoopbackAddressesMayBeReached) {
  for (const char *a : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "127.0.0.1", "127.255.1.2", "::1",
                        "2606:4700::1111", "::ffff:93.184.216.34", "::ffff:127.0.0.1"})
    EXPECT_FALSE(internal(a)) << a;
}

TEST(AddressPolicy, InternalAddressesAreRefused) {
  for (const char *a : {"0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::", "fc00::1", "fd12:3456::1",
                        "fe80::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0"})
    EXPECT_TRUE(internal(a)) << a;
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
