// Which network addresses a webhook may reach. tthub_admin is not a superuser, yet
// its webhooks are sent by the server's superuser worker: without a check an admin
// could make it POST into the private network (cloud metadata at 169.254.169.254,
// internal services, any port of the database host itself) and read status and
// timing back to map it. Checked on the address libcurl is about to connect to,
// after DNS, so a name that resolves (or rebinds) to an internal address is refused
// too. Only a superuser's webhook (allow_private) skips the check.
#pragma once

#include <sys/socket.h>

namespace tthub {

// True for addresses outside the public internet: loopback, private (RFC 1918,
// fc00::/7, the deprecated site-local fec0::/10), link-local, carrier-grade NAT,
// unspecified (0.0.0.0 reaches the local host), multicast, reserved and broadcast.
// An IPv6 address that carries an IPv4 one (IPv4-mapped ::ffff:0:0/96, IPv4-compatible
// ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32)
// is judged by the IPv4 address it leads to.
bool is_internal_address(const sockaddr *address, socklen_t length);

// What a checked request reports both when its host is internal and when its name
// does not resolve: the two must not be told apart, or the answer says which names
// exist inside the network.
inline constexpr const char *kUnreachableHostError =
    "cannot connect: the host does not resolve to an address a webhook may reach";

}  // namespace tthub
