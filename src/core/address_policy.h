// Which network addresses a webhook may reach. tthub_admin is not a superuser, yet
// its webhooks are sent by the server's superuser worker: without a check an admin
// could make it POST into the private network (cloud metadata at 169.254.169.254,
// internal services) and read connect errors to map it. Checked on the address
// libcurl is about to connect to, after DNS, so a name that resolves (or rebinds)
// to an internal address is refused too.
#pragma once

#include <sys/socket.h>

namespace tthub {

// True for addresses outside the public internet: private (RFC 1918, fc00::/7),
// link-local, carrier-grade NAT, unspecified (0.0.0.0 reaches the local host),
// multicast, reserved and broadcast, and their IPv4-mapped IPv6 forms. Loopback is
// not internal here: the rule lets webhooks go to receivers on the same host.
bool is_internal_address(const sockaddr *address, socklen_t length);

}  // namespace tthub
