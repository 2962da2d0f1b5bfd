#include "database.h"

#include "log_line.h"

#include <cstdlib>

namespace shim {
namespace {

using std::chrono::milliseconds;

// tthub_oauth_begin is a few statements; a health check one. tthub_oauth_complete
// waits on TikTok twice (token, then profile; tthub.http_timeout_ms, 30 s each by
// default) inside the statement, so it gets longer.
constexpr milliseconds kBeginBudget{10000};
constexpr milliseconds kCompleteBudget{90000};
constexpr milliseconds kHealthBudget{2000};
// TikTok wants its webhook answered at once and retries otherwise: a database slower
// than this gets a 503 and the same event again later.
constexpr milliseconds kWebhookBudget{3000};

// Bytes as a bytea literal in hex: the body reaches the database exactly as signed,
// whatever it holds (a NUL, broken UTF-8), and is judged there.
std::string bytea_hex(const std::string &bytes) {
  static const char *digits = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string value(PGresult *r, int col) { return PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col); }

}  // namespace

PgResult Database::run(const char *sql, const std::vector<std::string> &args, milliseconds budget, Call call,
                       DbError *err) {
  auto deadline = DbPool::Clock::now() + budget;
  for (int attempt = 0;; ++attempt) {
    DbPool::Lease lease = pool_.acquire(deadline, call == Call::kSlowOnce, err);
    if (!lease) {
      note(false, *err);
      return nullptr;
    }
    PgResult r = lease.query(sql, args, deadline, err);
    if (r || !err->sqlstate.empty()) {  // an answer, or an SQL error: the database is up
      note(true, *err);
      return r;
    }
    if (!(call == Call::kQuickRetry && attempt == 0 && lease.broken() && DbPool::Clock::now() < deadline)) {
      note(false, *err);
      return nullptr;
    }
  }
}

// One log line when the database goes away and one when it is back, not one per request.
void Database::note(bool up, const DbError &err) {
  if (up_.exchange(up) == up) return;
  log_line(up ? "database available again" : "database unavailable: " + log_safe_text(err.message));
}

BeginResult Database::begin(const std::string &invite, const std::string &redirect_uri) {
  BeginResult out;
  PgResult r = run("SELECT tthub.tthub_oauth_begin($1, $2)", {invite, redirect_uri}, kBeginBudget, Call::kQuickRetry, &out.error);
  if (!r) return out;
  out.authorize_url = value(r.get(), 0);
  out.ok = true;
  return out;
}

CompleteResult Database::complete(const std::string &state, const std::string &code) {
  CompleteResult out;
  // Never run twice: the code is spent at TikTok by the first attempt.
  PgResult r = run("SELECT store_code, display_name, status, status_reason FROM tthub.tthub_oauth_complete($1, $2)",
                   {state, code}, kCompleteBudget, Call::kSlowOnce, &out.error);
  if (!r) return out;
  out.store_code = value(r.get(), 0);
  out.display_name = value(r.get(), 1);
  out.status = value(r.get(), 2);
  out.status_reason = value(r.get(), 3);
  out.ok = true;
  return out;
}

WebhookResult Database::tiktok_webhook(const std::string &signature, const std::string &body) {
  WebhookResult out;
  PgResult r = run("SELECT http_status, outcome FROM tthub.tthub_tiktok_webhook($1, $2::bytea)",
                   {signature, bytea_hex(body)}, kWebhookBudget, Call::kQuickRetry, &out.error);
  if (!r) return out;
  out.http_status = std::atoi(value(r.get(), 0).c_str());
  out.outcome = value(r.get(), 1);
  out.ok = true;
  return out;
}

bool Database::reachable() {
  DbError err;
  return run("SELECT 1", {}, kHealthBudget, Call::kQuickRetry, &err) != nullptr;
}

}  // namespace shim
