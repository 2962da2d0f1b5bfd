// TikTok's webhooks to the app (reference section 11): verifying the TikTok-Signature
// header and reading the body, as pure code. The database calls this with the raw
// body the shim received; nothing is parsed before the signature is verified.
//
//   TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(client_secret, "<t>.<body>")>
//   {"client_key": "...", "event": "authorization.removed", "create_time": 1700000000,
//    "user_openid": "...", "content": "{\"reason\": 1}"}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tthub::tiktok_webhook {

// Largest body tthub accepts (the shim refuses a bigger one with 413, the database
// again). TikTok's documented bodies are a few hundred bytes; this bound is ours.
inline constexpr size_t kMaxBodyBytes = 16384;
// Longest TikTok-Signature header: "t=" + 19 digits + ",s=" + 64 hex, with room.
inline constexpr size_t kMaxHeaderBytes = 256;
// Field bounds (ours; TikTok documents none). open_id: store_accounts.open_id's width.
inline constexpr size_t kMaxClientKeyBytes = 128;
inline constexpr size_t kMaxEventBytes = 64;
inline constexpr size_t kMaxOpenIdBytes = 128;
inline constexpr size_t kMaxContentBytes = 8192;

inline constexpr const char *kAuthorizationRemoved = "authorization.removed";

enum class Verdict {
  kOk,
  kNoSecret,        // no client secret is loaded: refuse everything (fail closed)
  kMissing,         // no header
  kMalformed,       // not t=<digits>,s=<64 hex>
  kMismatch,        // the HMAC differs: another secret, a changed body or timestamp
  kStale,           // t older than the tolerance
  kFuture,          // t further ahead than the tolerance
};

struct Verification {
  Verdict verdict = Verdict::kMissing;
  int64_t t = 0;  // the signed timestamp, when it parsed
  // One sentence for the event log (never the secret, the signature or the body).
  std::string why;
  bool ok() const { return verdict == Verdict::kOk; }
};

// The header TikTok sends for body signed at unix_seconds (the simulator and tests).
std::string signature_header(std::string_view client_secret, int64_t unix_seconds, std::string_view body);

// Parses the header (fields split on ',' then on '='; unknown fields ignored, t and s
// exactly once), recomputes HMAC-SHA256 over t + "." + body with the client secret,
// compares in constant time, and only then checks |now - t| <= tolerance_s.
Verification verify(std::string_view header, std::string_view client_secret, std::string_view body, int64_t now_s,
                    int64_t tolerance_s);

// Reasons of authorization.removed (section 11).
enum class Effect { kNeedReconnect, kDisabled };
// 0 unknown, 1 user disconnected, 2 account deleted, 3 age changed, 4 banned,
// 5 developer revoked; any other number is treated as 0.
const char *reason_text(int reason);
Effect reason_effect(int reason);  // kDisabled for 2 and 4

struct Event {
  std::string client_key;
  std::string event;
  int64_t create_time = 0;
  std::string user_openid;
  std::optional<int> reason;  // authorization.removed only
  // Identifies the event across TikTok's retries (no event id is documented): hex
  // SHA-256 over client_key, event, create_time, user_openid and content.
  std::string key;
};

struct Parsed {
  std::optional<Event> event;
  std::string why;  // when not parsed: one sentence, never quoting the body
  // The body's client_key whenever it is a valid one, even when a later field is not:
  // an event for another app is refused as such (401) before its fields are judged.
  std::optional<std::string> client_key;
};

// Strict: a JSON object with client_key (read first), event, user_openid (strings of visible
// ASCII within their bounds), create_time (a positive integer) and content (a
// string); for authorization.removed, content must hold a JSON object whose
// "reason" is an integer. Other events' content is not interpreted.
Parsed parse(std::string_view body);

}  // namespace tthub::tiktok_webhook
