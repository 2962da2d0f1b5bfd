// The shim's only access to the database: the OAuth functions and the TikTok webhook
// function of the tthub extension, called with parameters (never string-built SQL) as role tthub_oauth,
// over a small pool of connections.
#pragma once

#include <atomic>
#include <string>

#include "db_pool.h"

namespace shim {

struct BeginResult {
  bool ok = false;
  std::string authorize_url;
  DbError error;
};

struct WebhookResult {
  bool ok = false;      // the database answered (whatever it decided)
  int http_status = 0;  // what to answer TikTok: 200, 400, 401 or 413
  std::string outcome;  // one sentence, for the answer's body (never a secret)
  DbError error;
};

struct CompleteResult {
  bool ok = false;
  std::string store_code, display_name, status, status_reason;
  DbError error;
};

class Database {
 public:
  Database(std::string url, size_t connections) : pool_(std::move(url), connections) {}
  BeginResult begin(const std::string &invite, const std::string &redirect_uri);
  CompleteResult complete(const std::string &state, const std::string &code);
  // TikTok's webhook: the raw body and its TikTok-Signature header, verified and
  // applied by the database (tthub_tiktok_webhook). Safe to repeat: events are
  // recorded once.
  WebhookResult tiktok_webhook(const std::string &signature, const std::string &body);
  bool reachable();

 private:
  enum class Call {
    kQuickRetry,  // short; only reads or starts something anew: may run again on a
                  // fresh connection when a pooled one turns out broken
    kSlowOnce,    // may wait on TikTok; never repeated (the code is spent at TikTok)
  };
  PgResult run(const char *sql, const std::vector<std::string> &args, std::chrono::milliseconds budget, Call call,
               DbError *err);
  void note(bool up, const DbError &err);

  DbPool pool_;
  std::atomic<bool> up_{true};
};

}  // namespace shim
