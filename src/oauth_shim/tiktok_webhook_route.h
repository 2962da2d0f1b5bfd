// POST <TTHUB_TIKTOK_WEBHOOK_PATH> (default /tiktok/webhook): TikTok's webhook for the
// app (authorization.removed and the rest). The shim holds no secret: it hands the
// raw body and the TikTok-Signature header to tthub_tiktok_webhook, which verifies,
// records and applies the event in the database, and answers what that function
// decided (200, 400, 401, 413), or 503 when the database does not answer in time.
// Other methods on the path get 405. Nothing on this path calls TikTok.
#pragma once

#include <string>

#include "database.h"
#include "http_front.h"

namespace shim {

// Largest body the route takes (the front answers 413 past it, before any thread
// reads it); the database enforces the same bound.
constexpr size_t kTikTokWebhookMaxBody = 16384;

void install_tiktok_webhook(Router &router, Database &db, const std::string &path);

}  // namespace shim
