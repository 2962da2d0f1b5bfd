#include "core/webhook_payload.h"

#include <nlohmann/json.hpp>

#include "core/webhook_signature.h"

namespace tthub::webhook {
namespace {

nlohmann::json data_object(const Event &e) {
  nlohmann::json data = nlohmann::json::parse(e.data_json, nullptr, false);
  return data.is_object() ? data : nlohmann::json::object();
}

// Slack reads <, > and & as markup (links, mentions): text from the database must
// not become a mention of @channel.
std::string slack_escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

Format parse_format(std::string_view name) { return name == "slack" ? Format::kSlack : Format::kJson; }

std::string json_body(const Event &e) {
  nlohmann::ordered_json j;
  j["id"] = std::to_string(e.delivery_id);
  j["event"] = e.event;
  j["occurred_at"] = e.occurred_at;
  j["store_code"] = e.store_code;
  j["data"] = data_object(e);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string slack_body(const Event &e) {
  nlohmann::json data = data_object(e);
  std::string text = "tthub: " + e.event + " for store " + e.store_code;
  // The fields people act on, when the event has them.
  for (const char *key : {"open_id", "reason", "error", "snapshot_date", "refresh_token_expires_at", "job_id"}) {
    auto it = data.find(key);
    if (it == data.end() || it->is_null()) continue;
    text += std::string("; ") + key + ": " + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  nlohmann::json j;
  j["text"] = slack_escape(text);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string body(const Event &e, Format f) { return f == Format::kSlack ? slack_body(e) : json_body(e); }

HttpRequest request(const std::string &url, const Event &e, const std::string &body,
                            std::string_view secret, int64_t unix_seconds) {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.body = body;
  r.headers = {"Content-Type: application/json", "X-Tthub-Delivery: " + std::to_string(e.delivery_id),
               "X-Tthub-Event: " + e.event, "X-Tthub-Signature: " + signature_header(secret, unix_seconds, body),
               "Expect:"};  // no 100-continue round trip
  return r;
}

}  // namespace tthub::webhook
