// One HTTP exchange as tthub's HTTP client (core/http_client.h) carries it: the
// request to send and what came back. Shared by the TikTok API (core/tiktok_api.h)
// and the webhooks (core/webhook_payload.h); no network I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tthub {

struct HttpRequest {
  std::string method;  // GET or POST
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  // Never logged: the URL holds no token (tokens travel in headers or form bodies).
  // Webhooks of a non-superuser: never connect to an internal address (core/address_policy.h).
  bool refuse_internal_addresses = false;
  // Total timeout of this request, when it must differ from the client's (0: the client's).
  long timeout_ms = 0;
};

struct HttpResponse {
  long status = 0;            // 0 when no HTTP response arrived
  std::string body;
  std::string transport_error;  // non-empty for network errors, timeouts, oversized bodies
  bool timed_out = false;
  std::optional<long> retry_after_seconds;  // Retry-After, when the server sent one
  int64_t elapsed_us = 0;  // wall time of the transfer (request-duration metrics)
};

}  // namespace tthub
