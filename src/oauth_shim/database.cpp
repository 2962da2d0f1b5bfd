#include "database.h"

#include "log_line.h"

namespace shim {
namespace {

using std::chrono::milliseconds;

// tthub_oauth_begin is a few statements; a health check one. tthub_oauth_complete
// waits on TikTok twice (token, then profile; tthub.http_timeout_ms, 30 s each by
// default) inside the statement, so it gets longer.
constexpr milliseconds kBeginBudget{10000};
constexpr milliseconds kCompleteBudget{90000};
constexpr milliseconds kHealthBudget{2000};

std::string value(PGresult *r, int col) { return PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col); }

}  // namespace

PgResult Database::run(const char *sql, const std::vector<std::string> &args, milliseconds budget, bool retry_once,
                       DbError *err) {
  auto deadline = DbPool::Clock::now() + budget;
  for (int attempt = 0;; ++attempt) {
    DbPool::Lease lease = pool_.acquire(deadline, err);
    if (!lease) {
      note(false, *err);
      return nullptr;
    }
    PgResult r = lease.query(sql, args, deadline, err);
    if (r || !err->sqlstate.empty()) {  // an answer, or an SQL error: the database is up
      note(true, *err);
      return r;
    }
    if (!(retry_once && attempt == 0 && lease.broken() && DbPool::Clock::now() < deadline)) {
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
  PgResult r = run("SELECT tthub.tthub_oauth_begin($1, $2)", {invite, redirect_uri}, kBeginBudget, true, &out.error);
  if (!r) return out;
  out.authorize_url = value(r.get(), 0);
  out.ok = true;
  return out;
}

CompleteResult Database::complete(const std::string &state, const std::string &code) {
  CompleteResult out;
  // Never run twice: the code is spent at TikTok by the first attempt.
  PgResult r = run("SELECT store_code, display_name, status, status_reason FROM tthub.tthub_oauth_complete($1, $2)",
                   {state, code}, kCompleteBudget, false, &out.error);
  if (!r) return out;
  out.store_code = value(r.get(), 0);
  out.display_name = value(r.get(), 1);
  out.status = value(r.get(), 2);
  out.status_reason = value(r.get(), 3);
  out.ok = true;
  return out;
}

bool Database::reachable() {
  DbError err;
  return run("SELECT 1", {}, kHealthBudget, true, &err) != nullptr;
}

}  // namespace shim
