// What a webhook delivery sends: the JSON body (tthub's own format, or Slack's
// {"text": ...}) and the HTTP request with its delivery id and signature headers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/http_message.h"

namespace tthub::webhook {

struct Event {
  int64_t delivery_id = 0;
  std::string event;        // account.connected, sync.failed, ...
  std::string occurred_at;  // ISO 8601, UTC
  std::string store_code;
  std::string data_json;    // a JSON object (from jsonb)
};

enum class Format { kJson, kSlack };
Format parse_format(std::string_view name);  // "slack" or anything else: json

// {"id": "<delivery id>", "event": ..., "occurred_at": ..., "store_code": ..., "data": {...}}
std::string json_body(const Event &e);
// {"text": "..."}: one line for people, with Slack's control characters escaped.
std::string slack_body(const Event &e);
std::string body(const Event &e, Format f);

// POST to url with Content-Type, X-Tthub-Delivery and X-Tthub-Signature.
HttpRequest request(const std::string &url, const Event &e, const std::string &body,
                            std::string_view secret, int64_t unix_seconds);

}  // namespace tthub::webhook
