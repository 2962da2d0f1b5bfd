// Signing webhook deliveries, the scheme Stripe and others use:
//   X-Tthub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// The timestamp is signed with the body, so a receiver that rejects old timestamps
// (a replay window) cannot be fed a captured delivery again later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tthub::webhook {

// Lower-case hex of bytes.
std::string to_hex(const unsigned char *bytes, size_t n);

// Lower-case hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// The value of the X-Tthub-Signature header for body signed at unix_seconds.
std::string signature_header(std::string_view secret, int64_t unix_seconds, std::string_view body);

// What a receiver does: parses the header, recomputes the HMAC (constant-time
// comparison) and refuses a timestamp more than tolerance_s away from now_s.
// Returns "" when valid, else why not (never containing the secret).
std::string verify_signature(std::string_view header, std::string_view secret, std::string_view body,
                             int64_t now_s, int64_t tolerance_s);

}  // namespace tthub::webhook
