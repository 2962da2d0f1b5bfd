// The simulator as TikTok's webhook sender (reference section 11): POST /_sim/webhook
// makes it send an event to a URL (the shim's /tiktok/webhook), signed as TikTok
// signs, or badly signed, once, replayed, or at a steady rate; it answers with what
// the receiver answered and how long each answer took.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sim {

struct WebhookHooks {
  std::function<std::string()> client_key;
  std::function<std::string()> client_secret;
  // TikTok has revoked the tokens by the time authorization.removed arrives.
  std::function<void(const std::string &open_id)> revoke;
  // TikTok API requests made with this account's tokens so far.
  std::function<int64_t(const std::string &open_id)> account_requests;
};

void install_webhook_sender(httplib::Server &svr, WebhookHooks hooks);

}  // namespace sim
